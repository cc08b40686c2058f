-- CreateEnum
CREATE TYPE "operator_role" AS ENUM ('ADMIN', 'OFFICER', 'AUDITOR');

-- CreateEnum
CREATE TYPE "operator_status" AS ENUM ('ACTIVE', 'DISABLED');

-- CreateEnum
CREATE TYPE "institution_kind" AS ENUM ('ISSUER', 'ACQUIRER', 'PLATFORM');

-- CreateEnum
CREATE TYPE "institution_status" AS ENUM ('ACTIVE', 'SUSPENDED', 'WITHDRAWN');

-- CreateEnum
CREATE TYPE "root_key_state" AS ENUM ('PENDING', 'ACTIVE', 'RETIRED', 'EXPIRED');

-- CreateEnum
CREATE TYPE "ceremony_action" AS ENUM ('CREATE', 'ACTIVATE', 'RETIRE');

-- CreateEnum
CREATE TYPE "ceremony_status" AS ENUM ('PENDING', 'APPROVED', 'EXECUTED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "request_state" AS ENUM ('SUBMITTED', 'APPROVED', 'ISSUED', 'REJECTED', 'EXPIRED');

-- CreateEnum
CREATE TYPE "allocation_state" AS ENUM ('RESERVED', 'ISSUED', 'FAILED');

-- CreateEnum
CREATE TYPE "certificate_status" AS ENUM ('ACTIVE', 'REVOKED');

-- CreateEnum
CREATE TYPE "revocation_reason" AS ENUM ('KEY_COMPROMISE', 'SUPERSEDED', 'ISSUER_WITHDRAWN');

-- CreateTable
CREATE TABLE "operator" (
    "id" SERIAL NOT NULL,
    "username" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "roles" "operator_role"[],
    "status" "operator_status" NOT NULL DEFAULT 'ACTIVE',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "institution" (
    "id" SERIAL NOT NULL,
    "kind" "institution_kind" NOT NULL,
    "code" BYTEA NOT NULL,
    "name_zh" TEXT NOT NULL,
    "name_en" TEXT,
    "status" "institution_status" NOT NULL DEFAULT 'ACTIVE',
    "contacts" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "institution_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "root_key" (
    "id" SERIAL NOT NULL,
    "index" INTEGER NOT NULL,
    "hsm_key_label" TEXT NOT NULL,
    "hsm_key_id" BYTEA NOT NULL,
    "public_key" BYTEA NOT NULL,
    "expires_on" DATE NOT NULL,
    "state" "root_key_state" NOT NULL DEFAULT 'PENDING',
    "a2_record" BYTEA NOT NULL,
    "check_value" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by_id" INTEGER NOT NULL,
    "activated_at" TIMESTAMPTZ(3),
    "activated_by_id" INTEGER,
    "retired_at" TIMESTAMPTZ(3),
    "retired_by_id" INTEGER,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "root_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "root_key_ceremony" (
    "id" SERIAL NOT NULL,
    "root_key_id" INTEGER,
    "action" "ceremony_action" NOT NULL,
    "parameters" JSONB NOT NULL,
    "status" "ceremony_status" NOT NULL DEFAULT 'PENDING',
    "requested_by_id" INTEGER NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "approved_by_id" INTEGER,
    "approved_at" TIMESTAMPTZ(3),
    "cancelled_by_id" INTEGER,
    "cancelled_at" TIMESTAMPTZ(3),
    "pre_signing_checks" JSONB,
    "executed_at" TIMESTAMPTZ(3),
    "failure_code" TEXT,
    "failure_reason" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "root_key_ceremony_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "challenge" (
    "id" SERIAL NOT NULL,
    "institution_id" INTEGER NOT NULL,
    "value" BYTEA NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),

    CONSTRAINT "challenge_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "certificate_request" (
    "id" SERIAL NOT NULL,
    "institution_id" INTEGER NOT NULL,
    "a1_record" BYTEA NOT NULL,
    "requested_serial" INTEGER NOT NULL,
    "requested_expiry_month" INTEGER NOT NULL,
    "requested_expiry_year" INTEGER NOT NULL,
    "public_key" BYTEA NOT NULL,
    "fingerprint" BYTEA NOT NULL,
    "challenge_id" INTEGER NOT NULL,
    "state" "request_state" NOT NULL DEFAULT 'SUBMITTED',
    "submitted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reviewed_by_id" INTEGER,
    "reviewed_at" TIMESTAMPTZ(3),
    "fingerprint_confirmed_at" TIMESTAMPTZ(3),
    "approved_by_id" INTEGER,
    "approved_at" TIMESTAMPTZ(3),
    "root_key_id" INTEGER,
    "rejected_by_id" INTEGER,
    "rejected_at" TIMESTAMPTZ(3),
    "rejection_code" TEXT,
    "rejection_reason" TEXT,
    "issued_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "certificate_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "certificate_number_allocation" (
    "number" BIGINT NOT NULL,
    "request_id" INTEGER NOT NULL,
    "root_key_id" INTEGER NOT NULL,
    "state" "allocation_state" NOT NULL DEFAULT 'RESERVED',
    "failure_code" TEXT,
    "failure_reason" TEXT,
    "reserved_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "certificate_number_allocation_pkey" PRIMARY KEY ("number")
);

-- CreateTable
CREATE TABLE "certificate" (
    "id" SERIAL NOT NULL,
    "number" BIGINT NOT NULL,
    "institution_id" INTEGER NOT NULL,
    "serial" INTEGER NOT NULL,
    "request_id" INTEGER NOT NULL,
    "root_key_id" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,
    "public_key" BYTEA NOT NULL,
    "expiry_month" INTEGER NOT NULL,
    "expiry_year" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" "certificate_status" NOT NULL DEFAULT 'ACTIVE',
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by_id" INTEGER,
    "revocation_reason" "revocation_reason",
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "certificate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "counter" (
    "name" TEXT NOT NULL,
    "value" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "counter_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "audit_chain_head" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "seq" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "seq" BIGINT NOT NULL,
    "chain_version" INTEGER NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "actor_id" INTEGER,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "object_type" TEXT NOT NULL,
    "object_id" TEXT NOT NULL,
    "details" JSONB NOT NULL,
    "prev_hash" BYTEA NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "operator_username_key" ON "operator"("username");

-- CreateIndex
CREATE UNIQUE INDEX "institution_kind_code_key" ON "institution"("kind", "code");

-- CreateIndex
CREATE UNIQUE INDEX "root_key_index_key" ON "root_key"("index");

-- CreateIndex
CREATE UNIQUE INDEX "root_key_public_key_key" ON "root_key"("public_key");

-- CreateIndex
CREATE INDEX "root_key_ceremony_status_idx" ON "root_key_ceremony"("status");

-- CreateIndex
CREATE UNIQUE INDEX "challenge_value_key" ON "challenge"("value");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_request_challenge_id_key" ON "certificate_request"("challenge_id");

-- CreateIndex
CREATE INDEX "certificate_request_institution_id_state_idx" ON "certificate_request"("institution_id", "state");

-- CreateIndex
CREATE INDEX "certificate_number_allocation_state_idx" ON "certificate_number_allocation"("state");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_number_key" ON "certificate"("number");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_request_id_key" ON "certificate"("request_id");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_public_key_key" ON "certificate"("public_key");

-- CreateIndex
CREATE INDEX "certificate_status_idx" ON "certificate"("status");

-- CreateIndex
CREATE UNIQUE INDEX "certificate_institution_id_serial_key" ON "certificate"("institution_id", "serial");

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_prev_hash_key" ON "audit_event"("prev_hash");

-- CreateIndex
CREATE UNIQUE INDEX "audit_event_hash_key" ON "audit_event"("hash");

-- CreateIndex
CREATE INDEX "audit_event_object_type_object_id_idx" ON "audit_event"("object_type", "object_id");

-- CreateIndex
CREATE INDEX "audit_event_time_idx" ON "audit_event"("time");

-- AddForeignKey
ALTER TABLE "root_key" ADD CONSTRAINT "root_key_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "root_key" ADD CONSTRAINT "root_key_activated_by_id_fkey" FOREIGN KEY ("activated_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "root_key" ADD CONSTRAINT "root_key_retired_by_id_fkey" FOREIGN KEY ("retired_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "root_key_ceremony" ADD CONSTRAINT "root_key_ceremony_root_key_id_fkey" FOREIGN KEY ("root_key_id") REFERENCES "root_key"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "root_key_ceremony" ADD CONSTRAINT "root_key_ceremony_requested_by_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "root_key_ceremony" ADD CONSTRAINT "root_key_ceremony_approved_by_id_fkey" FOREIGN KEY ("approved_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "root_key_ceremony" ADD CONSTRAINT "root_key_ceremony_cancelled_by_id_fkey" FOREIGN KEY ("cancelled_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "challenge" ADD CONSTRAINT "challenge_institution_id_fkey" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate_request" ADD CONSTRAINT "certificate_request_institution_id_fkey" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate_request" ADD CONSTRAINT "certificate_request_challenge_id_fkey" FOREIGN KEY ("challenge_id") REFERENCES "challenge"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate_request" ADD CONSTRAINT "certificate_request_reviewed_by_id_fkey" FOREIGN KEY ("reviewed_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate_request" ADD CONSTRAINT "certificate_request_approved_by_id_fkey" FOREIGN KEY ("approved_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate_request" ADD CONSTRAINT "certificate_request_rejected_by_id_fkey" FOREIGN KEY ("rejected_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate_request" ADD CONSTRAINT "certificate_request_root_key_id_fkey" FOREIGN KEY ("root_key_id") REFERENCES "root_key"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate_number_allocation" ADD CONSTRAINT "certificate_number_allocation_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "certificate_request"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate_number_allocation" ADD CONSTRAINT "certificate_number_allocation_root_key_id_fkey" FOREIGN KEY ("root_key_id") REFERENCES "root_key"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate" ADD CONSTRAINT "certificate_number_fkey" FOREIGN KEY ("number") REFERENCES "certificate_number_allocation"("number") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate" ADD CONSTRAINT "certificate_institution_id_fkey" FOREIGN KEY ("institution_id") REFERENCES "institution"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate" ADD CONSTRAINT "certificate_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "certificate_request"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate" ADD CONSTRAINT "certificate_root_key_id_fkey" FOREIGN KEY ("root_key_id") REFERENCES "root_key"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "certificate" ADD CONSTRAINT "certificate_revoked_by_id_fkey" FOREIGN KEY ("revoked_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_event" ADD CONSTRAINT "audit_event_actor_id_fkey" FOREIGN KEY ("actor_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Written by hand: what Prisma's schema language cannot express. Byte lengths follow TQ-CERT-1.
-- ---------------------------------------------------------------------------------------------

ALTER TABLE "operator"
    ADD CONSTRAINT "operator_username_check" CHECK ("username" ~ '^[a-z][a-z0-9._-]{1,63}$'),
    ADD CONSTRAINT "operator_roles_check" CHECK ("roles" IS NOT NULL AND cardinality("roles") >= 1);

ALTER TABLE "institution"
    ADD CONSTRAINT "institution_code_check" CHECK (octet_length("code") = 4 AND "code" <> '\x00000000'::bytea),
    ADD CONSTRAINT "institution_contacts_check" CHECK (jsonb_typeof("contacts") = 'array');

ALTER TABLE "root_key"
    ADD CONSTRAINT "root_key_index_check" CHECK ("index" BETWEEN 1 AND 254),
    ADD CONSTRAINT "root_key_public_key_check" CHECK (octet_length("public_key") = 64),
    ADD CONSTRAINT "root_key_a2_record_check" CHECK (octet_length("a2_record") = 109 AND get_byte("a2_record", 0) = 162),
    ADD CONSTRAINT "root_key_check_value_check" CHECK (octet_length("check_value") = 32),
    ADD CONSTRAINT "root_key_activated_check" CHECK ("state" <> 'ACTIVE' OR "activated_at" IS NOT NULL),
    ADD CONSTRAINT "root_key_retired_check" CHECK (("state" = 'RETIRED') = ("retired_at" IS NOT NULL));

-- Dual control: the database refuses a ceremony approved by its requester.
ALTER TABLE "root_key_ceremony"
    ADD CONSTRAINT "root_key_ceremony_dual_control_check" CHECK ("approved_by_id" IS NULL OR "approved_by_id" <> "requested_by_id"),
    ADD CONSTRAINT "root_key_ceremony_parameters_check" CHECK (jsonb_typeof("parameters") = 'object');

ALTER TABLE "challenge"
    ADD CONSTRAINT "challenge_value_check" CHECK (octet_length("value") = 16),
    ADD CONSTRAINT "challenge_expiry_check" CHECK ("expires_at" > "issued_at");

-- Dual control: the officer who reviewed (and confirmed the fingerprint) is not the approver.
ALTER TABLE "certificate_request"
    ADD CONSTRAINT "certificate_request_a1_record_check" CHECK (octet_length("a1_record") = 161 AND get_byte("a1_record", 0) = 161),
    ADD CONSTRAINT "certificate_request_serial_check" CHECK ("requested_serial" BETWEEN 1 AND 16777215),
    ADD CONSTRAINT "certificate_request_expiry_check" CHECK ("requested_expiry_month" BETWEEN 1 AND 12 AND "requested_expiry_year" BETWEEN 2000 AND 2049),
    ADD CONSTRAINT "certificate_request_public_key_check" CHECK (octet_length("public_key") = 64),
    ADD CONSTRAINT "certificate_request_fingerprint_check" CHECK (octet_length("fingerprint") = 8),
    ADD CONSTRAINT "certificate_request_dual_control_check" CHECK ("approved_by_id" IS NULL OR "reviewed_by_id" IS NULL OR "approved_by_id" <> "reviewed_by_id");

ALTER TABLE "certificate_number_allocation"
    ADD CONSTRAINT "certificate_number_allocation_number_check" CHECK ("number" BETWEEN 1 AND 4294967294),
    ADD CONSTRAINT "certificate_number_allocation_failure_check" CHECK (("state" = 'FAILED') = ("failure_code" IS NOT NULL));

ALTER TABLE "certificate"
    ADD CONSTRAINT "certificate_bytes_check" CHECK (octet_length("bytes") = 106 AND get_byte("bytes", 0) = 20),
    ADD CONSTRAINT "certificate_public_key_check" CHECK (octet_length("public_key") = 64),
    ADD CONSTRAINT "certificate_serial_check" CHECK ("serial" BETWEEN 1 AND 16777215),
    ADD CONSTRAINT "certificate_expiry_check" CHECK ("expiry_month" BETWEEN 1 AND 12 AND "expiry_year" BETWEEN 2000 AND 2049),
    ADD CONSTRAINT "certificate_revocation_check" CHECK (("status" = 'REVOKED') = ("revoked_at" IS NOT NULL AND "revocation_reason" IS NOT NULL));

ALTER TABLE "counter"
    ADD CONSTRAINT "counter_value_check" CHECK ("value" >= 0);

ALTER TABLE "audit_chain_head"
    ADD CONSTRAINT "audit_chain_head_singleton_check" CHECK ("id" = 1),
    ADD CONSTRAINT "audit_chain_head_seq_check" CHECK ("seq" >= 0),
    ADD CONSTRAINT "audit_chain_head_hash_check" CHECK (octet_length("hash") = 32);

ALTER TABLE "audit_event"
    ADD CONSTRAINT "audit_event_seq_check" CHECK ("seq" >= 1),
    ADD CONSTRAINT "audit_event_chain_version_check" CHECK ("chain_version" >= 1),
    ADD CONSTRAINT "audit_event_hashes_check" CHECK (octet_length("prev_hash") = 32 AND octet_length("hash") = 32);

-- The empty chain: seq 0, hash = 32 zero bytes (the prevHash of event 1).
INSERT INTO "audit_chain_head" ("id", "seq", "hash") VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);

-- The audit log is append-only for the application; tampering needs a deliberate DDL change.
CREATE FUNCTION "audit_event_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_event_no_update" BEFORE UPDATE OR DELETE ON "audit_event" FOR EACH ROW EXECUTE FUNCTION "audit_event_append_only"();
CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_event" FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_append_only"();
