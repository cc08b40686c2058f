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
};

export default nextConfig;
