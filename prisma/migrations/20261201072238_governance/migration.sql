-- CreateEnum
CREATE TYPE "operator_change_kind" AS ENUM ('CREATE', 'SET_ROLES', 'ENABLE', 'RESET_SECOND_FACTOR');

-- CreateEnum
CREATE TYPE "operator_change_state" AS ENUM ('PENDING', 'APPROVED', 'REJECTED');

-- AlterTable
ALTER TABLE "institution" ADD COLUMN     "withdrawal_approved_by_id" INTEGER,
ADD COLUMN     "withdrawal_reason" TEXT,
ADD COLUMN     "withdrawal_requested_at" TIMESTAMPTZ(3),
ADD COLUMN     "withdrawal_requested_by_id" INTEGER;

-- AlterTable
ALTER TABLE "operator" ADD COLUMN     "change_request_id" INTEGER,
ADD COLUMN     "failed_sign_ins" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "locked_until" TIMESTAMPTZ(3),
ADD COLUMN     "must_change_password" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "totp_secret" BYTEA;

-- CreateTable
CREATE TABLE "operator_change_request" (
    "id" SERIAL NOT NULL,
    "kind" "operator_change_kind" NOT NULL,
    "target_id" INTEGER,
    "payload" JSONB NOT NULL,
    "state" "operator_change_state" NOT NULL DEFAULT 'PENDING',
    "requested_by_id" INTEGER NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_by_id" INTEGER,
    "decided_at" TIMESTAMPTZ(3),
    "decided_xid" BIGINT,
    "reason" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_change_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "governance_seal" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "sealed_at" TIMESTAMPTZ(3) NOT NULL,
    "sealed_by_id" INTEGER NOT NULL,
    "operators" JSONB NOT NULL,

    CONSTRAINT "governance_seal_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "operator_change_request_state_idx" ON "operator_change_request"("state");

-- AddForeignKey
ALTER TABLE "operator" ADD CONSTRAINT "operator_change_request_id_fkey" FOREIGN KEY ("change_request_id") REFERENCES "operator_change_request"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operator_change_request" ADD CONSTRAINT "operator_change_request_target_id_fkey" FOREIGN KEY ("target_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operator_change_request" ADD CONSTRAINT "operator_change_request_requested_by_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operator_change_request" ADD CONSTRAINT "operator_change_request_decided_by_id_fkey" FOREIGN KEY ("decided_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "governance_seal" ADD CONSTRAINT "governance_seal_sealed_by_id_fkey" FOREIGN KEY ("sealed_by_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "institution" ADD CONSTRAINT "institution_withdrawal_requested_by_id_fkey" FOREIGN KEY ("withdrawal_requested_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "institution" ADD CONSTRAINT "institution_withdrawal_approved_by_id_fkey" FOREIGN KEY ("withdrawal_approved_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Written by hand: governance rules the database holds even if the service code were bypassed
-- (lib/ca/README.md "Governance"). Constraints are NOT VALID so that a database made before
-- this migration still starts; they hold for every row written from now on, and the governance
-- report flags what earlier rows broke.
-- ---------------------------------------------------------------------------------------------

-- Separation of duties: ADMIN and OFFICER never on one account; AUDITOR only alone.
ALTER TABLE "operator"
    ADD CONSTRAINT "operator_separation_of_duties_check" CHECK (
        NOT ('ADMIN' = ANY ("roles") AND 'OFFICER' = ANY ("roles"))
        AND NOT ('AUDITOR' = ANY ("roles") AND cardinality("roles") > 1)) NOT VALID,
    ADD CONSTRAINT "operator_failed_sign_ins_check" CHECK ("failed_sign_ins" >= 0);

-- Two administrators per change: the approver is not the requester; a rejection says why.
ALTER TABLE "operator_change_request"
    ADD CONSTRAINT "operator_change_request_dual_control_check" CHECK ("state" <> 'APPROVED' OR "decided_by_id" <> "requested_by_id"),
    ADD CONSTRAINT "operator_change_request_decided_check" CHECK (("state" = 'PENDING') = ("decided_by_id" IS NULL AND "decided_at" IS NULL)),
    ADD CONSTRAINT "operator_change_request_reason_check" CHECK ("state" <> 'REJECTED' OR length(btrim(coalesce("reason", ''))) > 0),
    ADD CONSTRAINT "operator_change_request_target_check" CHECK ("kind" = 'CREATE' OR "target_id" IS NOT NULL),
    ADD CONSTRAINT "operator_change_request_payload_check" CHECK (jsonb_typeof("payload") = 'object');

ALTER TABLE "governance_seal"
    ADD CONSTRAINT "governance_seal_singleton_check" CHECK ("id" = 1),
    ADD CONSTRAINT "governance_seal_operators_check" CHECK (jsonb_typeof("operators") = 'array');

-- A rejected certificate request says why.
ALTER TABLE "certificate_request"
    ADD CONSTRAINT "certificate_request_rejection_reason_check" CHECK ("state" <> 'REJECTED' OR length(btrim(coalesce("rejection_reason", ''))) > 0) NOT VALID;

-- Withdrawing an issuer revokes its certificates: asked by one operator, approved by another.
ALTER TABLE "institution"
    ADD CONSTRAINT "institution_withdrawal_dual_control_check" CHECK (
        "kind" <> 'ISSUER' OR "status" <> 'WITHDRAWN'
        OR ("withdrawal_approved_by_id" IS NOT NULL AND "withdrawal_requested_by_id" IS NOT NULL
            AND "withdrawal_approved_by_id" <> "withdrawal_requested_by_id")) NOT VALID;

-- Raised as check violations naming a constraint, so that lib/db/errors.ts types them.
CREATE FUNCTION "governance_refuse"(constraint_name text, reason text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% (violates check constraint "%")', reason, constraint_name USING ERRCODE = 'check_violation';
END;
$$;

CREATE FUNCTION "governance_sealed"() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM "governance_seal")
$$;

CREATE FUNCTION "operator_is_active_admin"(operator_id integer) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM "operator" WHERE "id" = operator_id AND "status" = 'ACTIVE' AND 'ADMIN' = ANY ("roles"))
$$;

-- The seal is written once, over a valid set: at least two active administrators and two active
-- officers, every active operator within separation of duties (pre-migration rows included).
CREATE FUNCTION "governance_seal_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM "governance_refuse"('governance_seal_immutable', 'the governance seal is written once');
    END IF;
    IF NOT "operator_is_active_admin"(NEW."sealed_by_id") THEN
        PERFORM "governance_refuse"('governance_seal_set', 'the seal is made by an active administrator');
    END IF;
    IF (SELECT count(*) FROM "operator" WHERE "status" = 'ACTIVE' AND 'ADMIN' = ANY ("roles")) < 2
       OR (SELECT count(*) FROM "operator" WHERE "status" = 'ACTIVE' AND 'OFFICER' = ANY ("roles")) < 2
       OR EXISTS (SELECT 1 FROM "operator" WHERE "status" = 'ACTIVE'
                  AND (('ADMIN' = ANY ("roles") AND 'OFFICER' = ANY ("roles")) OR ('AUDITOR' = ANY ("roles") AND cardinality("roles") > 1))) THEN
        PERFORM "governance_refuse"('governance_seal_set', 'the sealed set needs two administrators, two officers and separation of duties');
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "governance_seal_guard" BEFORE INSERT OR UPDATE OR DELETE ON "governance_seal" FOR EACH ROW EXECUTE FUNCTION "governance_seal_guard"();

-- No root-key ceremony before the seal.
CREATE FUNCTION "root_key_ceremony_after_seal"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT "governance_sealed"() THEN
        PERFORM "governance_refuse"('root_key_ceremony_after_seal', 'no root-key ceremony before the governance seal');
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "root_key_ceremony_after_seal" BEFORE INSERT ON "root_key_ceremony" FOR EACH ROW EXECUTE FUNCTION "root_key_ceremony_after_seal"();

-- Change requests: asked by an active administrator after the seal; decided once (the deciding
-- transaction is recorded, so that the approval can take effect in that transaction only); an
-- approval is given by another active administrator. Decided requests never change, except that
-- the approving transaction links a CREATE to the operator it made. Never deleted.
CREATE FUNCTION "operator_change_request_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM "governance_refuse"('operator_change_request_kept', 'operator change requests are never deleted');
    ELSIF TG_OP = 'INSERT' THEN
        IF NOT "governance_sealed"() THEN
            PERFORM "governance_refuse"('operator_change_request_after_seal', 'operator changes are requested only after the governance seal');
        END IF;
        IF NEW."state" <> 'PENDING' OR NEW."decided_xid" IS NOT NULL OR NOT "operator_is_active_admin"(NEW."requested_by_id") THEN
            PERFORM "governance_refuse"('operator_change_request_new', 'a change request starts pending, asked by an active administrator');
        END IF;
        RETURN NEW;
    END IF;
    IF OLD."state" <> 'PENDING' THEN
        IF OLD."state" = 'APPROVED' AND OLD."kind" = 'CREATE' AND OLD."target_id" IS NULL AND NEW."target_id" IS NOT NULL
           AND OLD."decided_xid" = txid_current()
           AND (NEW."kind", NEW."payload", NEW."state", NEW."requested_by_id", NEW."requested_at", NEW."decided_by_id", NEW."decided_at", NEW."decided_xid", NEW."reason")
               IS NOT DISTINCT FROM (OLD."kind", OLD."payload", OLD."state", OLD."requested_by_id", OLD."requested_at", OLD."decided_by_id", OLD."decided_at", OLD."decided_xid", OLD."reason") THEN
            RETURN NEW;
        END IF;
        PERFORM "governance_refuse"('operator_change_request_decided', 'a decided change request never changes');
    END IF;
    IF (NEW."kind", NEW."payload", NEW."target_id", NEW."requested_by_id", NEW."requested_at")
       IS DISTINCT FROM (OLD."kind", OLD."payload", OLD."target_id", OLD."requested_by_id", OLD."requested_at") THEN
        PERFORM "governance_refuse"('operator_change_request_decided', 'a change request''s content never changes');
    END IF;
    IF NEW."state" <> 'PENDING' THEN
        IF NOT "operator_is_active_admin"(NEW."decided_by_id") THEN
            PERFORM "governance_refuse"('operator_change_request_decider', 'a change request is decided by an active administrator');
        END IF;
        NEW."decided_xid" := txid_current();
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "operator_change_request_guard" BEFORE INSERT OR UPDATE OR DELETE ON "operator_change_request" FOR EACH ROW EXECUTE FUNCTION "operator_change_request_guard"();

-- After the seal an operator is created, given other roles, enabled or has its second factor
-- reset only by the transaction that approved a matching request, which the same statement names
-- in change_request_id. Disabling, password changes and sign-in bookkeeping need no request.
CREATE FUNCTION "operator_governed_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    request "operator_change_request"%ROWTYPE;
    wanted "operator_change_kind";
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM "governance_refuse"('operator_kept', 'operators are disabled, never deleted');
    END IF;
    IF TG_OP = 'UPDATE' AND NEW."username" <> OLD."username" THEN
        PERFORM "governance_refuse"('operator_username_fixed', 'a username never changes');
    END IF;
    IF NOT "governance_sealed"() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        wanted := 'CREATE';
    ELSIF NEW."roles" IS DISTINCT FROM OLD."roles" THEN
        wanted := 'SET_ROLES';
    ELSIF OLD."status" = 'DISABLED' AND NEW."status" = 'ACTIVE' THEN
        wanted := 'ENABLE';
    ELSIF OLD."totp_secret" IS NOT NULL AND NEW."totp_secret" IS DISTINCT FROM OLD."totp_secret" THEN
        wanted := 'RESET_SECOND_FACTOR';
    ELSE
        RETURN NEW;
    END IF;
    SELECT * INTO request FROM "operator_change_request" WHERE "id" = NEW."change_request_id";
    IF NOT FOUND OR request."kind" <> wanted OR request."state" <> 'APPROVED' OR request."decided_xid" IS DISTINCT FROM txid_current()
       OR (wanted = 'CREATE' AND (request."target_id" IS NOT NULL OR NEW."username" <> request."payload"->>'username' OR NEW."status" <> 'ACTIVE'))
       OR (wanted <> 'CREATE' AND request."target_id" <> NEW."id")
       OR (wanted IN ('CREATE', 'SET_ROLES')
           AND NEW."roles" <> ARRAY(SELECT jsonb_array_elements_text(request."payload"->(CASE WHEN wanted = 'CREATE' THEN 'roles' ELSE 'to' END)))::"operator_role"[])
       OR (wanted = 'RESET_SECOND_FACTOR' AND NEW."totp_secret" IS NOT NULL) THEN
        PERFORM "governance_refuse"('operator_change_governed', format('%s after the governance seal needs a request approved by a second administrator in this transaction', wanted));
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "operator_governed_change" BEFORE INSERT OR UPDATE OR DELETE ON "operator" FOR EACH ROW EXECUTE FUNCTION "operator_governed_change"();
