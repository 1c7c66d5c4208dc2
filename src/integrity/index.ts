// Integrity: file integrity monitoring of what Kinko serves and runs.
//
// Glossary
// - manifest: every watched file (source or build output, browser and hosted-field assets,
//   migrations, package files) with its SHA-256, sorted by path (manifest.ts); plus the
//   web bundles as served (`served/web/…`), which main.ts hands in.
// - root: SHA-256 over a manifest's "path\0hash" lines; the manifest's name.
// - approved manifest: the expected state, the newest approval's; the first manifest a
//   database sees is approved as the baseline, later ones only by `kinko integrity approve`.
// - check: hash the install now and compare with the approved manifest, at start and every
//   KINKO_INTEGRITY_SECONDS_INTERVAL; a difference raises an incident (detector
//   `integrity.files`, keyed by the observed root, so repeated checks join it).
// - difference: the paths added, removed and changed between two manifests.

export { createIntegrity, type Integrity } from './integrity.ts';
