-- Tables for prisma/edge-cases.prisma on MySQL / MariaDB (see mysql.sql for the types).
CREATE TABLE `accounts` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `email` VARCHAR(191) NOT NULL,
    `handle` VARCHAR(191) NOT NULL,
    `raw` TEXT NULL,
    `legacy` VARCHAR(191) NULL,
    UNIQUE INDEX `accounts_email_key`(`email`),
    UNIQUE INDEX `accounts_handle_id_key`(`handle` DESC, `id`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE `notes` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `body` VARCHAR(191) NOT NULL,
    `account_id` INTEGER NOT NULL,
    `reviewer_id` INTEGER NULL,
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE `tags` (
    `id` INTEGER NOT NULL,
    `name` VARCHAR(191) NOT NULL,
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE `_NoteToTag` (
    `A` INTEGER NOT NULL,
    `B` INTEGER NOT NULL,
    UNIQUE INDEX `_NoteToTag_AB_unique`(`A`, `B`),
    INDEX `_NoteToTag_B_index`(`B`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE `Archive` (
    `id` INTEGER NOT NULL,
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE `notes` ADD CONSTRAINT `notes_account_id_fkey` FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`)
    ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE `notes` ADD CONSTRAINT `notes_reviewer_id_fkey` FOREIGN KEY (`reviewer_id`) REFERENCES `accounts`(`id`)
    ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE `_NoteToTag` ADD CONSTRAINT `_NoteToTag_A_fkey` FOREIGN KEY (`A`) REFERENCES `notes`(`id`)
    ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE `_NoteToTag` ADD CONSTRAINT `_NoteToTag_B_fkey` FOREIGN KEY (`B`) REFERENCES `tags`(`id`)
    ON DELETE CASCADE ON UPDATE CASCADE;
CREATE VIEW `account_notes` AS
    SELECT a.`id` AS `account_id`, CAST(COUNT(n.`id`) AS SIGNED) AS `notes`
    FROM `accounts` a LEFT JOIN `notes` n ON n.`account_id` = a.`id`
    GROUP BY a.`id`;
