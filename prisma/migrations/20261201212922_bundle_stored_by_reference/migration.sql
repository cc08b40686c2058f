-- A version is stored as references to what is already stored and immutable instead of a copy of
-- its 1.84 MB (at 10,000 certificates): its manifest and A2 records, the numbers of the
-- certificates it lists (their A3 records are certificate.a3_record, set once) and its A4
-- (revocation_list, by a4_sequence). Read back, the parts are concatenated and the body's SM3
-- checked against body_sm3 (lib/publication/reads.ts). Versions published before keep their bytes.
ALTER TABLE "bundle" ADD COLUMN "a2_records" BYTEA,
ADD COLUMN "a3_numbers" BYTEA,
ADD COLUMN "size" INTEGER,
ALTER COLUMN "bytes" DROP NOT NULL;

-- The owner fills the two columns every version has from the bytes of those already published
-- (what they hold does not change: the same A2 records, the same length).
ALTER TABLE "bundle" DISABLE TRIGGER "bundle_immutable";
UPDATE "bundle" SET "a2_records" = substring("bytes" FROM 123 FOR 109 * "a2_count"), "size" = octet_length("bytes");
ALTER TABLE "bundle" ENABLE TRIGGER "bundle_immutable";

ALTER TABLE "bundle" ALTER COLUMN "a2_records" SET NOT NULL,
ALTER COLUMN "size" SET NOT NULL,
ADD CONSTRAINT "bundle_a2_records_check" CHECK (octet_length("a2_records") = 109 * "a2_count"),
-- Either the bytes or the references, never both, never neither.
ADD CONSTRAINT "bundle_stored_check" CHECK (("bytes" IS NULL) <> ("a3_numbers" IS NULL)),
ADD CONSTRAINT "bundle_a3_numbers_check" CHECK ("a3_numbers" IS NULL OR octet_length("a3_numbers") = 4 * "a3_count"),
ADD CONSTRAINT "bundle_size_check" CHECK (CASE WHEN "bytes" IS NULL THEN "size" >= 122 + 109 * "a2_count" + 184 * "a3_count" + 80 ELSE octet_length("bytes") = "size" END);

-- Published versions now refer to certificate rows: one with an A3 record is never deleted
-- (its record is set once already, certificate_a3_record_once).
CREATE FUNCTION "certificate_a3_record_kept"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD."a3_record" IS NOT NULL THEN
        RAISE EXCEPTION 'certificate % has an A3 record, which published bundles refer to', OLD."number" USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER "certificate_a3_record_kept" BEFORE DELETE ON "certificate" FOR EACH ROW EXECUTE FUNCTION "certificate_a3_record_kept"();
