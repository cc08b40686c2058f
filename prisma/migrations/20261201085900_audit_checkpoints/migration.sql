-- CreateTable
CREATE TABLE "audit_key_ceremony" (
    "id" SERIAL NOT NULL,
    "origin" TEXT NOT NULL,
    "status" "ceremony_status" NOT NULL DEFAULT 'PENDING',
    "requested_by_id" INTEGER NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "approved_by_id" INTEGER,
    "executed_at" TIMESTAMPTZ(3),
    "failure_code" TEXT,

    CONSTRAINT "audit_key_ceremony_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_key" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "origin" TEXT NOT NULL,
    "hsm_key_label" TEXT NOT NULL,
    "hsm_key_id" BYTEA NOT NULL,
    "public_key" BYTEA NOT NULL,
    "key_id" BYTEA NOT NULL,
    "vkey" TEXT NOT NULL,
    "ceremony_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audit_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_checkpoint" (
    "size" BIGINT NOT NULL,
    "root" BYTEA NOT NULL,
    "note" TEXT NOT NULL,
    "signed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "audit_checkpoint_pkey" PRIMARY KEY ("size")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_key_ceremony_id_key" ON "audit_key"("ceremony_id");

-- Hand-added (prisma/README.md "What the schema enforces beyond Prisma").
ALTER TABLE "audit_key_ceremony"
    ADD CONSTRAINT "audit_key_ceremony_dual_control_check" CHECK ("approved_by_id" IS NULL OR "approved_by_id" <> "requested_by_id");
ALTER TABLE "audit_key"
    ADD CONSTRAINT "audit_key_single_check" CHECK ("id" = 1),
    ADD CONSTRAINT "audit_key_bytes_check" CHECK (octet_length("public_key") = 64 AND octet_length("key_id") = 4);
ALTER TABLE "audit_checkpoint"
    ADD CONSTRAINT "audit_checkpoint_bytes_check" CHECK ("size" >= 0 AND octet_length("root") = 32);

CREATE TRIGGER "audit_key_no_update" BEFORE UPDATE OR DELETE ON "audit_key" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_key_no_truncate" BEFORE TRUNCATE ON "audit_key" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_checkpoint_no_update" BEFORE UPDATE OR DELETE ON "audit_checkpoint" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_checkpoint_no_truncate" BEFORE TRUNCATE ON "audit_checkpoint" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"();
