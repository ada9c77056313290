import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

// API paths the gateway serves beside the dashboard; `npm run dev` proxies them to a local gateway.
const API_PREFIXES = [
  "/auth",
  "/upload-sales",
  "/jobs",
  "/sales",
  "/forecast",
  "/inventory-recommendations",
  "/pricing-suggestions",
  "/customer-segments",
  "/api-keys",
];
const gateway = process.env.GATEWAY_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  base: "/",
  build: {
    outDir: "dist",
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: Object.fromEntries(API_PREFIXES.map((p) => [p, { target: gateway, changeOrigin: false }])),
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
