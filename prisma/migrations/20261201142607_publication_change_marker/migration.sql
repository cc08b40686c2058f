-- AlterTable
ALTER TABLE "bundle" ADD COLUMN     "changes_from" BIGINT;

-- AlterTable
ALTER TABLE "certificate" ADD COLUMN     "change_xid" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "root_key" ADD COLUMN     "change_xid" BIGINT NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "certificate_change_xid_idx" ON "certificate"("change_xid");

-- A publication applies only what changed since its predecessor: the rows written by transactions
-- the predecessor's snapshot could not see, all of which have an id at or above that snapshot's
-- xmin (stored as bundle.changes_from). Rows written before this migration keep 0: the first
-- bundle after it has no changes_from and is rebuilt in full.
CREATE FUNCTION "publication_change_xid"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW."change_xid" := pg_current_xact_id()::text::bigint;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "certificate_change_xid" BEFORE INSERT OR UPDATE ON "certificate" FOR EACH ROW EXECUTE FUNCTION "publication_change_xid"();
CREATE TRIGGER "root_key_change_xid" BEFORE INSERT OR UPDATE ON "root_key" FOR EACH ROW EXECUTE FUNCTION "publication_change_xid"();
