-- A bundle is signatures, keys and certificate numbers: pglz finds little to compress in it and
-- spent most of a publication trying (10,000 certificates: about 150 ms of a 1.84 MB row on
-- PostgreSQL). EXTERNAL keeps TOAST's out-of-line storage without the compression attempt.
-- Rows already stored keep their storage; reads are the same either way.
ALTER TABLE "bundle" ALTER COLUMN "bytes" SET STORAGE EXTERNAL;
