-- Tables for prisma/edge-cases.prisma on SQLite (see sqlite.sql for the type names).
CREATE TABLE "accounts" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "raw" TEXT,
    "legacy" TEXT
);
CREATE TABLE "notes" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "body" TEXT NOT NULL,
    "account_id" INTEGER NOT NULL,
    "reviewer_id" INTEGER,
    CONSTRAINT "notes_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "notes_reviewer_id_fkey" FOREIGN KEY ("reviewer_id") REFERENCES "accounts" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE TABLE "tags" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL
);
CREATE TABLE "_NoteToTag" (
    "A" INTEGER NOT NULL,
    "B" INTEGER NOT NULL,
    CONSTRAINT "_NoteToTag_A_fkey" FOREIGN KEY ("A") REFERENCES "notes" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "_NoteToTag_B_fkey" FOREIGN KEY ("B") REFERENCES "tags" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "_NoteToTag_AB_unique" ON "_NoteToTag"("A", "B");
CREATE INDEX "_NoteToTag_B_index" ON "_NoteToTag"("B");
CREATE TABLE "Archive" (
    "id" INTEGER NOT NULL PRIMARY KEY
);
CREATE UNIQUE INDEX "accounts_email_key" ON "accounts"("email");
CREATE UNIQUE INDEX "accounts_handle_id_key" ON "accounts"("handle" DESC, "id");
CREATE VIEW "account_notes" AS
    SELECT a."id" AS "account_id", CAST(COUNT(n."id") AS INTEGER) AS "notes"
    FROM "accounts" a LEFT JOIN "notes" n ON n."account_id" = a."id"
    GROUP BY a."id";
