// Minifies the web build's JS in place (oxc, through rolldown): a page without a bundler loads
// these files as they are. Each gets a source map, so devtools still show the readable code.
import { minifySync } from "rolldown/utils";
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

for (const file of process.argv.slice(2)) {
  const code = readFileSync(file, "utf8");
  const result = minifySync(file, code, { module: true, compress: true, mangle: true, sourcemap: true });
  if (result.errors.length > 0) {
    console.error(`minify: ${file}: ${result.errors.map((error) => error.message).join("; ")}`);
    process.exit(1);
  }
  const map = { ...result.map, file: basename(file), sources: [basename(file)], sourcesContent: [code] };
  writeFileSync(`${file}.map`, JSON.stringify(map));
  writeFileSync(file, `${result.code}\n//# sourceMappingURL=${basename(file)}.map\n`);
}
