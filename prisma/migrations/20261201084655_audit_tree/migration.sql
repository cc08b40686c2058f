-- AlterTable
ALTER TABLE "audit_chain_head" ADD COLUMN     "tree_hashes" BYTEA NOT NULL DEFAULT '\x',
ADD COLUMN     "tree_size" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "audit_leaf" (
    "seq" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "audit_leaf_pkey" PRIMARY KEY ("seq")
);

-- Hand-added (prisma/README.md "What the schema enforces beyond Prisma").
ALTER TABLE "audit_chain_head"
    ADD CONSTRAINT "audit_chain_head_tree_check" CHECK ("tree_size" >= 0 AND "tree_size" <= "seq" AND octet_length("tree_hashes") % 32 = 0);
ALTER TABLE "audit_leaf"
    ADD CONSTRAINT "audit_leaf_hash_check" CHECK (octet_length("hash") = 32);

-- Leaves are written once, with their event, like the events themselves.
CREATE FUNCTION "audit_log_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_leaf_no_update" BEFORE UPDATE OR DELETE ON "audit_leaf" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_leaf_no_truncate" BEFORE TRUNCATE ON "audit_leaf" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"();
