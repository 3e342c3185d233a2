// Lint: typescript-eslint's recommended rules plus the few that guard this codebase's conventions.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { boundariesRule } from "./eslint.boundaries.js";

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "bench/results/**", "coverage/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-console": "off",
      eqeqeq: ["error", "always"],
      "jobtally/boundaries": "error",
    },
    plugins: { jobtally: { rules: { boundaries: boundariesRule } } },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
