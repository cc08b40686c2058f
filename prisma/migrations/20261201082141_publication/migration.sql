-- AlterTable
ALTER TABLE "certificate" ADD COLUMN     "a3_record" BYTEA;

-- CreateTable
CREATE TABLE "bundle" (
    "version" INTEGER NOT NULL,
    "manifest" BYTEA NOT NULL,
    "bytes" BYTEA NOT NULL,
    "body_sm3" BYTEA NOT NULL,
    "published_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "a2_count" INTEGER NOT NULL,
    "a3_count" INTEGER NOT NULL,
    "a4_sequence" INTEGER NOT NULL,
    "signing_root_index" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,

    CONSTRAINT "bundle_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "revocation_list" (
    "sequence" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,
    "root_key_index" INTEGER NOT NULL,
    "this_update" TIMESTAMPTZ(3) NOT NULL,
    "next_update" TIMESTAMPTZ(3) NOT NULL,
    "entry_count" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "revocation_list_pkey" PRIMARY KEY ("sequence")
);

-- AddForeignKey
ALTER TABLE "bundle" ADD CONSTRAINT "bundle_a4_sequence_fkey" FOREIGN KEY ("a4_sequence") REFERENCES "revocation_list"("sequence") ON DELETE RESTRICT ON UPDATE CASCADE;

-- By hand: byte lengths of the profile's records (§9, §12), ranges, and immutability.
ALTER TABLE "certificate" ADD CONSTRAINT "certificate_a3_record_check"
    CHECK ("a3_record" IS NULL OR (octet_length("a3_record") = 184 AND get_byte("a3_record", 0) = 163));
ALTER TABLE "bundle"
    ADD CONSTRAINT "bundle_version_check" CHECK ("version" >= 1),
    ADD CONSTRAINT "bundle_manifest_check" CHECK (octet_length("manifest") = 122 AND get_byte("manifest", 0) = 165),
    ADD CONSTRAINT "bundle_bytes_check" CHECK (substring("bytes" from 1 for 122) = "manifest"),
    ADD CONSTRAINT "bundle_body_sm3_check" CHECK (octet_length("body_sm3") = 32),
    ADD CONSTRAINT "bundle_expiry_check" CHECK ("expires_at" > "published_at"),
    ADD CONSTRAINT "bundle_counts_check" CHECK ("a2_count" >= 1 AND "a3_count" >= 0),
    ADD CONSTRAINT "bundle_signing_root_index_check" CHECK ("signing_root_index" BETWEEN 1 AND 254);
ALTER TABLE "revocation_list"
    ADD CONSTRAINT "revocation_list_sequence_check" CHECK ("sequence" >= 1),
    ADD CONSTRAINT "revocation_list_bytes_check" CHECK (octet_length("bytes") = 80 + 12 * "entry_count" AND get_byte("bytes", 0) = 164),
    ADD CONSTRAINT "revocation_list_update_check" CHECK ("next_update" >= "this_update"),
    ADD CONSTRAINT "revocation_list_root_key_index_check" CHECK ("root_key_index" BETWEEN 1 AND 254);

-- Published bundles and signed revocation lists are never changed or removed: a client may hold any of them.
CREATE FUNCTION "published_record_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is immutable once published', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "bundle_immutable" BEFORE UPDATE OR DELETE ON "bundle" FOR EACH ROW EXECUTE FUNCTION "published_record_immutable"();
CREATE TRIGGER "bundle_no_truncate" BEFORE TRUNCATE ON "bundle" FOR EACH STATEMENT EXECUTE FUNCTION "published_record_immutable"();
CREATE TRIGGER "revocation_list_immutable" BEFORE UPDATE OR DELETE ON "revocation_list" FOR EACH ROW EXECUTE FUNCTION "published_record_immutable"();
CREATE TRIGGER "revocation_list_no_truncate" BEFORE TRUNCATE ON "revocation_list" FOR EACH STATEMENT EXECUTE FUNCTION "published_record_immutable"();
-- An A3 record, once signed, is part of what clients hold: it is set once and never replaced.
CREATE FUNCTION "certificate_a3_record_once"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD."a3_record" IS NOT NULL AND NEW."a3_record" IS DISTINCT FROM OLD."a3_record" THEN
        RAISE EXCEPTION 'certificate % already has its A3 record', OLD."number" USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER "certificate_a3_record_once" BEFORE UPDATE ON "certificate" FOR EACH ROW EXECUTE FUNCTION "certificate_a3_record_once"();
