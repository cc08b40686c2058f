-- AlterEnum
ALTER TYPE "operator_change_kind" ADD VALUE 'RESET_PASSWORD';

-- After the seal a password is reset (a new one-time password, changed at the next sign-in) only by
-- the transaction that approved a RESET_PASSWORD request for that operator (20261201090000_console_auth's
-- rule with this one added). The holder's own change clears must_change_password and needs no request.
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
    ELSIF NEW."password_hash" IS DISTINCT FROM OLD."password_hash" AND NEW."must_change_password" THEN
        wanted := 'RESET_PASSWORD';
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
