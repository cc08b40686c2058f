-- CreateEnum
CREATE TYPE "RetargetStatus" AS ENUM ('PENDING', 'APPROVED', 'FAILED');

-- AlterTable
ALTER TABLE "certificate_number_allocation" ADD COLUMN     "signed_at" TIMESTAMPTZ(3),
ADD COLUMN     "signed_bytes" BYTEA;

-- AlterTable
ALTER TABLE "root_key_ceremony" ADD COLUMN     "leftover_key" JSONB;

-- CreateTable
CREATE TABLE "request_retarget" (
    "id" SERIAL NOT NULL,
    "request_id" INTEGER NOT NULL,
    "from_root_key_id" INTEGER NOT NULL,
    "to_root_key_id" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "RetargetStatus" NOT NULL DEFAULT 'PENDING',
    "requested_by_id" INTEGER NOT NULL,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "approved_by_id" INTEGER,
    "decided_at" TIMESTAMPTZ(3),
    "failure_code" TEXT,
    "failure_reason" TEXT,

    CONSTRAINT "request_retarget_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "request_retarget_request_id_idx" ON "request_retarget"("request_id");

-- AddForeignKey
ALTER TABLE "request_retarget" ADD CONSTRAINT "request_retarget_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "certificate_request"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "request_retarget" ADD CONSTRAINT "request_retarget_from_root_key_id_fkey" FOREIGN KEY ("from_root_key_id") REFERENCES "root_key"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "request_retarget" ADD CONSTRAINT "request_retarget_to_root_key_id_fkey" FOREIGN KEY ("to_root_key_id") REFERENCES "root_key"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "request_retarget" ADD CONSTRAINT "request_retarget_requested_by_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "request_retarget" ADD CONSTRAINT "request_retarget_approved_by_id_fkey" FOREIGN KEY ("approved_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written: what Prisma cannot express.

-- Certificates issued before this migration: their allocation carries the bytes that were stored.
UPDATE "certificate_number_allocation" AS a SET "signed_bytes" = c."bytes", "signed_at" = c."issued_at"
    FROM "certificate" AS c WHERE c."number" = a."number" AND a."signed_bytes" IS NULL;

ALTER TABLE "certificate_number_allocation"
    ADD CONSTRAINT "certificate_number_allocation_signed_bytes_check" CHECK ("signed_bytes" IS NULL OR (octet_length("signed_bytes") = 106 AND get_byte("signed_bytes", 0) = 20)),
    ADD CONSTRAINT "certificate_number_allocation_signed_at_check" CHECK (("signed_bytes" IS NULL) = ("signed_at" IS NULL)),
    ADD CONSTRAINT "certificate_number_allocation_issued_signed_check" CHECK ("state" <> 'ISSUED' OR "signed_bytes" IS NOT NULL);

ALTER TABLE "root_key_ceremony"
    ADD CONSTRAINT "root_key_ceremony_leftover_key_check" CHECK ("leftover_key" IS NULL OR ("status" = 'FAILED' AND jsonb_typeof("leftover_key") = 'object'));

ALTER TABLE "request_retarget"
    ADD CONSTRAINT "request_retarget_dual_control_check" CHECK ("approved_by_id" IS NULL OR "approved_by_id" <> "requested_by_id"),
    ADD CONSTRAINT "request_retarget_decided_by_check" CHECK (("status" = 'PENDING') = ("approved_by_id" IS NULL)),
    ADD CONSTRAINT "request_retarget_failure_check" CHECK (("status" = 'FAILED') = ("failure_code" IS NOT NULL)),
    ADD CONSTRAINT "request_retarget_decided_check" CHECK (("status" = 'PENDING') = ("decided_at" IS NULL)),
    ADD CONSTRAINT "request_retarget_keys_check" CHECK ("from_root_key_id" <> "to_root_key_id"),
    ADD CONSTRAINT "request_retarget_reason_check" CHECK (length(btrim("reason")) > 0);

-- One retarget awaiting approval per request.
CREATE UNIQUE INDEX "request_retarget_pending_key" ON "request_retarget" ("request_id") WHERE "status" = 'PENDING';
