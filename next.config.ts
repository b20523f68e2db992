import type { NextConfig } from "next";

/**
 * The build `npm start` makes (scripts/start.mjs sets PORTCULLIS_START_BUILD=1), measured from clean
 * on 2 cores: 117 s with Next's defaults, 76 s without what a start does not need. Next's type check
 * (34 s): `npm test` type-checks the whole project (tsc) before anything else. Turbopack's persistent
 * cache (about 25 s to write): it only speeds up a later rebuild. A plain `next build`
 * (`npm run build`, deployments) keeps both.
 */
const startBuild = process.env.PORTCULLIS_START_BUILD === "1";

const nextConfig: NextConfig = {
  // PGlite loads its WASM and data files by path; bundling it breaks every query.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "@neondatabase/serverless", "ws"],
  experimental: { authInterrupts: true, turbopackFileSystemCacheForBuild: !startBuild },
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: startBuild },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default nextConfig;
