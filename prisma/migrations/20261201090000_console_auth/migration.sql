-- CreateTable
CREATE TABLE "operator_sign_in" (
    "operator_id" INTEGER NOT NULL,
    "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    "last_failure_at" TIMESTAMPTZ(3),
    "locked_until" TIMESTAMPTZ(3),
    "password_change_required" BOOLEAN NOT NULL DEFAULT false,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_sign_in_pkey" PRIMARY KEY ("operator_id")
);

-- CreateTable
CREATE TABLE "operator_second_factor" (
    "operator_id" INTEGER NOT NULL,
    "secret_sealed" BYTEA NOT NULL,
    "confirmed_at" TIMESTAMPTZ(3),
    "last_used_step" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_second_factor_pkey" PRIMARY KEY ("operator_id")
);

-- CreateTable
CREATE TABLE "operator_recovery_code" (
    "id" SERIAL NOT NULL,
    "operator_id" INTEGER NOT NULL,
    "code_hash" BYTEA NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_recovery_code_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "console_session" (
    "id" TEXT NOT NULL,
    "operator_id" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "second_factor_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" TEXT,

    CONSTRAINT "console_session_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "operator_recovery_code_code_hash_key" ON "operator_recovery_code"("code_hash");

-- CreateIndex
CREATE INDEX "operator_recovery_code_operator_id_idx" ON "operator_recovery_code"("operator_id");

-- CreateIndex
CREATE INDEX "console_session_operator_id_idx" ON "console_session"("operator_id");

-- AddForeignKey
ALTER TABLE "operator_sign_in" ADD CONSTRAINT "operator_sign_in_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operator_second_factor" ADD CONSTRAINT "operator_second_factor_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operator_recovery_code" ADD CONSTRAINT "operator_recovery_code_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_operator_id_fkey" FOREIGN KEY ("operator_id") REFERENCES "operator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- By hand: what Prisma cannot express.
ALTER TABLE "operator_sign_in" ADD CONSTRAINT "operator_sign_in_failed_attempts_check" CHECK ("failed_attempts" >= 0);
-- 12-byte GCM nonce + a 20-byte RFC 4226 secret (or longer) + 16-byte tag
ALTER TABLE "operator_second_factor" ADD CONSTRAINT "operator_second_factor_secret_check" CHECK (octet_length("secret_sealed") >= 48);
ALTER TABLE "operator_second_factor" ADD CONSTRAINT "operator_second_factor_step_check" CHECK ("last_used_step" IS NULL OR "last_used_step" >= 0);
ALTER TABLE "operator_second_factor" ADD CONSTRAINT "operator_second_factor_used_confirmed_check" CHECK ("last_used_step" IS NULL OR "confirmed_at" IS NOT NULL);
ALTER TABLE "operator_recovery_code" ADD CONSTRAINT "operator_recovery_code_hash_check" CHECK (octet_length("code_hash") = 32);
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_id_check" CHECK ("id" ~ '^[A-Za-z0-9_-]{32,}$');
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_times_check" CHECK ("last_seen_at" >= "created_at" AND ("ended_at" IS NULL) = ("end_reason" IS NULL));
