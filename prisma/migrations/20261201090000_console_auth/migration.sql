-- The console's second factor replaces governance's placeholder column: the TOTP secret lives
-- sealed in operator_second_factor (with recovery codes), so a reset removes that row.
ALTER TABLE "operator" DROP COLUMN "totp_secret";

-- CreateTable
CREATE TABLE "operator_second_factor" (
    "operator_id" INTEGER NOT NULL,
    "secret_sealed" BYTEA NOT NULL,
    "confirmed_at" TIMESTAMPTZ(3),
    "last_used_step" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_second_factor_pkey" PRIMARY KEY ("operator_id")
);

-- CreateTable
CREATE TABLE "operator_recovery_code" (
    "id" SERIAL NOT NULL,
    "operator_id" INTEGER NOT NULL,
    "code_hash" BYTEA NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_recovery_code_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "console_session" (
    "id" TEXT NOT NULL,
    "operator_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "second_factor_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" TEXT,

    CONSTRAINT "console_session_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "operator_recovery_code_code_hash_key" ON "operator_recovery_code"("code_hash");

-- CreateIndex
CREATE INDEX "operator_recovery_code_operator_id_idx" ON "operator_recovery_code"("operator_id");

-- CreateIndex
CREATE INDEX "console_session_operator_id_idx" ON "console_session"("operator_id");

-- AddForeignKey
ALTER TABLE "operator_second_factor" ADD CONSTRAINT "operator_second_factor_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operator_recovery_code" ADD CONSTRAINT "operator_recovery_code_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- By hand: what Prisma cannot express.
-- 12-byte GCM nonce + a 20-byte RFC 4226 secret (or longer) + 16-byte tag
ALTER TABLE "operator_second_factor" ADD CONSTRAINT "operator_second_factor_secret_check" CHECK (octet_length("secret_sealed") >= 48);
ALTER TABLE "operator_second_factor" ADD CONSTRAINT "operator_second_factor_step_check" CHECK ("last_used_step" IS NULL OR "last_used_step" >= 0);
ALTER TABLE "operator_second_factor" ADD CONSTRAINT "operator_second_factor_used_confirmed_check" CHECK ("last_used_step" IS NULL OR "confirmed_at" IS NOT NULL);
ALTER TABLE "operator_recovery_code" ADD CONSTRAINT "operator_recovery_code_hash_check" CHECK (octet_length("code_hash") = 32);
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_id_check" CHECK ("id" ~ '^[A-Za-z0-9_-]{32,}$');
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_times_check" CHECK ("last_seen_at" >= "created_at" AND ("ended_at" IS NULL) = ("end_reason" IS NULL));

-- Governance (20261201072238_governance) treated a change of operator.totp_secret as the
-- RESET_SECOND_FACTOR change; the secret now lives here, so the rule moves with it: after the seal
-- a confirmed second factor is removed, or its secret replaced, only by the transaction that
-- approved a RESET_SECOND_FACTOR request for its operator (named in operator.change_request_id,
-- which the approval sets first). An unconfirmed enrolment is the operator's own to restart.
CREATE OR REPLACE FUNCTION "operator_governed_change"() RETURNS trigger LANGUAGE plpgsql AS $$
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
    ELSE
        RETURN NEW;
    END IF;
    SELECT * INTO request FROM "operator_change_request" WHERE "id" = NEW."change_request_id";
    IF NOT FOUND OR request."kind" <> wanted OR request."state" <> 'APPROVED' OR request."decided_xid" IS DISTINCT FROM txid_current()
       OR (wanted = 'CREATE' AND (request."target_id" IS NOT NULL OR NEW."username" <> request."payload"->>'username' OR NEW."status" <> 'ACTIVE'))
       OR (wanted <> 'CREATE' AND request."target_id" <> NEW."id")
       OR (wanted IN ('CREATE', 'SET_ROLES')
           AND NEW."roles" <> ARRAY(SELECT jsonb_array_elements_text(request."payload"->(CASE WHEN wanted = 'CREATE' THEN 'roles' ELSE 'to' END)))::"operator_role"[]) THEN
        PERFORM "governance_refuse"('operator_change_governed', format('%s after the governance seal needs a request approved by a second administrator in this transaction', wanted));
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION "operator_second_factor_governed"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    request "operator_change_request"%ROWTYPE;
BEGIN
    IF OLD."confirmed_at" IS NULL OR NOT "governance_sealed"() THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW."secret_sealed" = OLD."secret_sealed" AND NEW."confirmed_at" IS NOT DISTINCT FROM OLD."confirmed_at" THEN
        RETURN NEW; -- a used step recorded
    END IF;
    SELECT r.* INTO request FROM "operator" o JOIN "operator_change_request" r ON r."id" = o."change_request_id" WHERE o."id" = OLD."operator_id";
    IF NOT FOUND OR request."kind" <> 'RESET_SECOND_FACTOR' OR request."state" <> 'APPROVED'
       OR request."decided_xid" IS DISTINCT FROM txid_current() OR request."target_id" <> OLD."operator_id" THEN
        PERFORM "governance_refuse"('operator_change_governed', 'RESET_SECOND_FACTOR after the governance seal needs a request approved by a second administrator in this transaction');
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
CREATE TRIGGER "operator_second_factor_governed" BEFORE UPDATE OR DELETE ON "operator_second_factor" FOR EACH ROW EXECUTE FUNCTION "operator_second_factor_governed"();
