-- CreateTable
CREATE TABLE "audit_node" (
    "height" SMALLINT NOT NULL,
    "idx" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,

    CONSTRAINT "audit_node_pkey" PRIMARY KEY ("height","idx")
);

-- Hand-added (prisma/README.md "What the schema enforces beyond Prisma").
ALTER TABLE "audit_node"
    ADD CONSTRAINT "audit_node_shape_check" CHECK ("height" > 0 AND "height" % 4 = 0 AND "idx" >= 0 AND octet_length("hash") = 32);

-- Written once, with the append that completes the subtree, like the leaves.
CREATE TRIGGER "audit_node_no_update" BEFORE UPDATE OR DELETE ON "audit_node" FOR EACH ROW EXECUTE FUNCTION "audit_log_append_only"();
CREATE TRIGGER "audit_node_no_truncate" BEFORE TRUNCATE ON "audit_node" FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_append_only"();
