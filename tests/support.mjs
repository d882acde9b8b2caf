// Shared by the Node test files: the packed package installed into a fresh project, and
// Debian's Chromium launched the way this machine needs it (no browser downloads).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const repo = resolve(import.meta.dirname, "..");

/** A new project in a temporary folder with `npm pack` of pkg/ installed offline; returns its path. */
export function projectWithPackage(name, manifest = {}) {
  const project = mkdtempSync(join(tmpdir(), `powerpost-credits-${name}-`));
  const tarball = execFileSync("npm", ["pack", join(repo, "pkg"), "--pack-destination", project, "--silent"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .pop();
  writeFileSync(join(project, "package.json"), JSON.stringify({ name, private: true, ...manifest }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", join(project, tarball)], { cwd: project });
  return project;
}

const CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
}
