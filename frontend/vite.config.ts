/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Built files go to Flask's static folder; Flask reads .vite/manifest.json (app/assets.py)
// to emit the <script> tags, so file names can carry content hashes.
export default defineConfig({
  base: "/static/dist/",
  plugins: [react()],
  build: {
    outDir: "../app/static/dist",
    emptyOutDir: true,
    manifest: true,
    target: "es2022",
    rollupOptions: {
      input: [
        "src/form-live.ts",
        "src/kb-suggest.ts",
        "src/queue-keys.ts",
        "src/builder/forms/main.tsx",
        "src/builder/flows/main.tsx",
      ],
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
