import createNextIntlPlugin from 'next-intl/plugin';

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and wasm-backed packages stay outside the server bundle; otherwise
  // PGlite's wasm data would be copied into the publicly served static folder.
  serverExternalPackages: [
    '@electric-sql/pglite',
    'pglite-prisma-adapter',
    '@prisma/adapter-pg',
    'pg',
    'pkcs11js',
    'fs-ext',
  ],
  poweredByHeader: false,
  reactStrictMode: true,
  // The browser tests build into their own folder, leaving `npm start`'s build alone.
  distDir: process.env.TQCA_NEXT_DIST_DIR || '.next',
};

export default createNextIntlPlugin('./i18n/request.ts')(nextConfig);
