-- AlterEnum
ALTER TYPE "api_token_scope" ADD VALUE 'WITNESS';

-- CreateTable
CREATE TABLE "audit_witness_key" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "vkey" TEXT NOT NULL,
    "key_id" BYTEA NOT NULL,
    "institution_id" INTEGER NOT NULL,
    "registered_by_id" INTEGER NOT NULL,
    "registered_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audit_witness_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_cosignature" (
    "checkpoint_size" BIGINT NOT NULL,
    "witness_key_id" INTEGER NOT NULL,
    "timestamp" BIGINT NOT NULL,
    "line" TEXT NOT NULL,
    "token_id" INTEGER NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audit_cosignature_pkey" PRIMARY KEY ("checkpoint_size","witness_key_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_witness_key_vkey_key" ON "audit_witness_key"("vkey");

-- Hand-added (prisma/README.md "What the schema enforces beyond Prisma"). No foreign keys: Prisma
-- would diff them away without relation fields on the models they point to; the service checks
-- the checkpoint, the key and the token in the transaction that stores a cosignature.
ALTER TABLE "audit_witness_key"
    ADD CONSTRAINT "audit_witness_key_id_check" CHECK (octet_length("key_id") = 4);
ALTER TABLE "audit_cosignature"
    ADD CONSTRAINT "audit_cosignature_line_check" CHECK ("line" LIKE '— %' AND "timestamp" >= 0);

-- Written once, like the checkpoints they cosign.
CREATE TRIGGER "audit_witness_key_no_update" BEFORE UPDATE OR DELETE ON "audit_witness_key" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_witness_key_no_truncate" BEFORE TRUNCATE ON "audit_witness_key" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_cosignature_no_update" BEFORE UPDATE OR DELETE ON "audit_cosignature" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_cosignature_no_truncate" BEFORE TRUNCATE ON "audit_cosignature" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"();
