/// <reference types="vitest" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Tauri expects a fixed port in development and the built files in ui/dist.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { outDir: "dist", target: "es2021", sourcemap: false },
  test: { environment: "jsdom", globals: false, setupFiles: ["src/test-setup.ts"] },
});
