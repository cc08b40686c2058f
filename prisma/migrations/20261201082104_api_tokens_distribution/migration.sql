-- CreateEnum
CREATE TYPE "api_token_scope" AS ENUM ('ACQUIRER', 'ISSUER');

-- CreateTable
CREATE TABLE "api_token" (
    "id" SERIAL NOT NULL,
    "public_id" TEXT NOT NULL,
    "secret_hash" BYTEA NOT NULL,
    "institution_id" INTEGER NOT NULL,
    "scope" "api_token_scope" NOT NULL,
    "label" TEXT NOT NULL,
    "created_by_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_by_id" INTEGER,
    "revoked_at" TIMESTAMPTZ(3),
    "revoke_reason" TEXT,
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "distribution_acknowledgement" (
    "id" SERIAL NOT NULL,
    "institution_id" INTEGER NOT NULL,
    "token_id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "body_sm3" BYTEA NOT NULL,
    "matches" BOOLEAN NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "distribution_acknowledgement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "distribution_poll" (
    "institution_id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "served" BIGINT NOT NULL DEFAULT 0,
    "not_modified" BIGINT NOT NULL DEFAULT 0,
    "first_poll_at" TIMESTAMPTZ(3) NOT NULL,
    "last_poll_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "distribution_poll_pkey" PRIMARY KEY ("institution_id","version")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_token_public_id_key" ON "api_token"("public_id");

-- CreateIndex
CREATE INDEX "api_token_institution_id_idx" ON "api_token"("institution_id");

-- CreateIndex
CREATE INDEX "distribution_acknowledgement_institution_id_version_idx" ON "distribution_acknowledgement"("institution_id", "version");

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_institution_id_fkey" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_revoked_by_id_fkey" FOREIGN KEY ("revoked_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "distribution_acknowledgement" ADD CONSTRAINT "distribution_acknowledgement_institution_id_fkey" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "distribution_poll" ADD CONSTRAINT "distribution_poll_institution_id_fkey" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- By hand: what Prisma cannot express.
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_public_id_format" CHECK ("public_id" ~ '^[0-9a-f]{16}$');
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_secret_hash_length" CHECK (octet_length("secret_hash") = 32);
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_expiry_after_creation" CHECK ("expires_at" > "created_at");
ALTER TABLE "api_token" ADD CONSTRAINT "api_token_revocation_consistent"
  CHECK (("revoked_at" IS NULL) = ("revoked_by_id" IS NULL) AND ("revoked_at" IS NULL) = ("revoke_reason" IS NULL));
ALTER TABLE "distribution_acknowledgement" ADD CONSTRAINT "distribution_acknowledgement_body_sm3_length" CHECK (octet_length("body_sm3") = 32);
ALTER TABLE "distribution_acknowledgement" ADD CONSTRAINT "distribution_acknowledgement_version_range" CHECK ("version" >= 0);
ALTER TABLE "distribution_poll" ADD CONSTRAINT "distribution_poll_counts" CHECK ("served" >= 0 AND "not_modified" >= 0);
