// Copies the pinned socket.io client (package-lock.json) into static/vendor/, which the page
// serves from its own origin: nothing is loaded from a CDN. Run `npm ci && npm run build`.
import { copyFileSync, mkdirSync } from "node:fs";

mkdirSync("static/vendor", { recursive: true });
copyFileSync("node_modules/socket.io-client/dist/socket.io.min.js", "static/vendor/socket.io.min.js");
console.log("static/vendor/socket.io.min.js updated");
