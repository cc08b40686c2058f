-- AlterEnum
ALTER TYPE "ceremony_action" ADD VALUE 'ANNOUNCE';

-- AlterEnum
ALTER TYPE "root_key_state" ADD VALUE 'ANNOUNCED';

-- AlterTable
ALTER TABLE "root_key" ADD COLUMN     "announced_at" TIMESTAMPTZ(3),
ADD COLUMN     "announced_by_id" INTEGER;

-- AddForeignKey
ALTER TABLE "root_key" ADD CONSTRAINT "root_key_announced_by_id_fkey" FOREIGN KEY ("announced_by_id") REFERENCES "operator"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- An announced key records when its announcement was approved (the lead runs from there). The
-- comparison is on text: a new enum value cannot be used in the transaction that adds it.
ALTER TABLE "root_key"
    ADD CONSTRAINT "root_key_announced_check" CHECK ("state"::text <> 'ANNOUNCED' OR "announced_at" IS NOT NULL);
