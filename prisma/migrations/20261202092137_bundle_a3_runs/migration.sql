-- A version stored by reference lists its certificates as runs of consecutive numbers (the
-- first number ‖ the run's length, 4 bytes big-endian each, ascending) instead of 4 bytes per
-- number: at 10,000 certificates with a few revoked or expired, a few dozen bytes instead of
-- 40 KB, which every publication wrote (lib/publication/reads.ts reads both sides of this).
ALTER TABLE "bundle" ADD COLUMN "a3_runs" BYTEA;

-- The owner converts the versions already stored by reference: the same numbers, as runs
-- (a run's numbers less their positions are one constant).
ALTER TABLE "bundle" DISABLE TRIGGER "bundle_immutable";
UPDATE "bundle" AS b SET "a3_runs" = (
    SELECT coalesce(string_agg(substring(int8send(r.first) FROM 5) || substring(int8send(r.length) FROM 5), ''::bytea ORDER BY r.first), ''::bytea)
    FROM (SELECT min(n.number) AS first, count(*) AS length
          FROM (SELECT i, (get_byte(b."a3_numbers", 4 * i)::bigint << 24) | (get_byte(b."a3_numbers", 4 * i + 1) << 16) | (get_byte(b."a3_numbers", 4 * i + 2) << 8) | get_byte(b."a3_numbers", 4 * i + 3) AS number
                FROM generate_series(0, octet_length(b."a3_numbers") / 4 - 1) AS i) AS n
          GROUP BY n.number - n.i) AS r)
WHERE b."a3_numbers" IS NOT NULL;
ALTER TABLE "bundle" ENABLE TRIGGER "bundle_immutable";

ALTER TABLE "bundle" DROP CONSTRAINT "bundle_stored_check",
DROP CONSTRAINT "bundle_a3_numbers_check",
DROP COLUMN "a3_numbers",
-- Either the bytes or the references, never both, never neither.
ADD CONSTRAINT "bundle_stored_check" CHECK (("bytes" IS NULL) <> ("a3_runs" IS NULL)),
ADD CONSTRAINT "bundle_a3_runs_check" CHECK ("a3_runs" IS NULL OR octet_length("a3_runs") % 8 = 0);
