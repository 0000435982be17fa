// Build skygate's web map into src/skygate/api/static/ (gitignored): copies Leaflet's
// distribution files from node_modules (installed by `npm ci` from the npm registry) and the
// app's own files from web/src. No bundler is needed: the page is one script over Leaflet.
import { cpSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "skygate", "api", "static");
const leaflet = join(here, "node_modules", "leaflet");
const leafletVersion = JSON.parse(readFileSync(join(leaflet, "package.json"), "utf8")).version;

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "vendor", "leaflet"), { recursive: true });
for (const file of ["leaflet.js", "leaflet.css"]) {
  cpSync(join(leaflet, "dist", file), join(out, "vendor", "leaflet", file));
}
cpSync(join(leaflet, "dist", "images"), join(out, "vendor", "leaflet", "images"), { recursive: true });
cpSync(join(here, "src"), out, { recursive: true });
writeFileSync(
  join(out, "BUILD.json"),
  JSON.stringify({ leaflet: leafletVersion, built_by: "web/build.mjs" }, null, 2) + "\n",
);
console.log(`built skygate web map into ${out} (leaflet ${leafletVersion})`);
