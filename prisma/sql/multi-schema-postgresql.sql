-- Tables for prisma/multi-schema.prisma: "users" in two schemas.
CREATE SCHEMA IF NOT EXISTS "ptc_auth";
CREATE SCHEMA IF NOT EXISTS "ptc_app";
CREATE TABLE "ptc_auth"."users" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL);
CREATE TABLE "ptc_auth"."Session" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "userId" INTEGER NOT NULL REFERENCES "ptc_auth"."users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE "ptc_app"."users" ("id" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL);
