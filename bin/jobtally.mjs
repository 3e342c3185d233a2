#!/usr/bin/env node
// The one executable. Registers the TypeScript loader, then hands over to the CLI dispatcher.
import { register } from "tsx/esm/api";
register();
const { main } = await import("./cli.ts");
await main(process.argv.slice(2));
