/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the API process under /studio/; `npm run dev` proxies the API to `make run`.
export default defineConfig({
  base: "/studio/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  server: {
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
