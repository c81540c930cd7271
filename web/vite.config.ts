/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// Served by the API process under /studio/; `npm run dev` proxies the API to `make run`.
export default defineConfig({
  base: "/studio/",
  plugins: [react()],
  resolve: {
    // Only @rjsf/core's test helper imports the ajv validator; the Studio's forms use one that
    // compiles nothing (ajv's generated code would need 'unsafe-eval' under our CSP).
    alias: { "@rjsf/validator-ajv8": fileURLToPath(new URL("src/components/forms/validator.ts", import.meta.url)) },
  },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  server: {
    proxy: { "/api": "http://127.0.0.1:5000" },
  },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
