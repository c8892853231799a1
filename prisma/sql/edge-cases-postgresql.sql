-- Tables for prisma/edge-cases.prisma on PostgreSQL, in the shape `prisma migrate diff` gives (see postgresql.sql).
CREATE TABLE "accounts" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "raw" TEXT,
    "legacy" TEXT,
    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "notes" (
    "id" SERIAL NOT NULL,
    "body" TEXT NOT NULL,
    "account_id" INTEGER NOT NULL,
    "reviewer_id" INTEGER,
    CONSTRAINT "notes_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "tags" (
    "id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    CONSTRAINT "tags_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "_NoteToTag" (
    "A" INTEGER NOT NULL,
    "B" INTEGER NOT NULL,
    CONSTRAINT "_NoteToTag_AB_pkey" PRIMARY KEY ("A","B")
);
CREATE INDEX "_NoteToTag_B_index" ON "_NoteToTag"("B");
CREATE TABLE "Archive" (
    "id" INTEGER NOT NULL,
    CONSTRAINT "Archive_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "accounts_email_key" ON "accounts"("email");
CREATE UNIQUE INDEX "accounts_handle_id_key" ON "accounts"("handle" DESC, "id");
ALTER TABLE "notes" ADD CONSTRAINT "notes_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "notes" ADD CONSTRAINT "notes_reviewer_id_fkey" FOREIGN KEY ("reviewer_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "_NoteToTag" ADD CONSTRAINT "_NoteToTag_A_fkey" FOREIGN KEY ("A") REFERENCES "notes"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "_NoteToTag" ADD CONSTRAINT "_NoteToTag_B_fkey" FOREIGN KEY ("B") REFERENCES "tags"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- The view AccountNotes reads.
CREATE VIEW "account_notes" AS
    SELECT a."id" AS "account_id", CAST(COUNT(n."id") AS INTEGER) AS "notes"
    FROM "accounts" a LEFT JOIN "notes" n ON n."account_id" = a."id"
    GROUP BY a."id";
