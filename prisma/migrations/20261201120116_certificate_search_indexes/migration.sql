-- CreateIndex
CREATE INDEX "certificate_expires_at_number_idx" ON "certificate"("expires_at", "number");

-- CreateIndex
CREATE INDEX "certificate_issued_at_number_idx" ON "certificate"("issued_at", "number");
