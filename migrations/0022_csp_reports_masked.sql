-- 0022_csp_reports_masked: CSP violation reports stored before reports were masked lose every
-- digit and every long encoded-looking token.
--
-- The report endpoint is open to anyone, and reports kept URL paths and script samples as
-- sent, so a blocked skimmer's exfiltration URL (https://evil.example/4917613582942078/cvc739/)
-- left a card number and security code in clear here, and `kinko vault scan` kept finding it.
-- New reports are masked as they arrive (src/vault/csp-report.ts); rows written before get the
-- strictest form of that rule, since their digits can no longer be told apart: every digit,
-- ASCII or full-width, becomes •, and a run of 16 or more base64 characters becomes [encoded].
-- Lengths only shrink, so the column checks hold.

update vault_csp_reports set
  document_path = regexp_replace(
    regexp_replace(document_path, '[A-Za-z0-9+_-]{16,}={0,2}', '[encoded]', 'g'),
    '[0-9０-９]', '•', 'g'),
  effective_directive = regexp_replace(effective_directive, '[0-9０-９]', '•', 'g'),
  blocked_uri = regexp_replace(
    regexp_replace(blocked_uri, '[A-Za-z0-9+_-]{16,}={0,2}', '[encoded]', 'g'),
    '[0-9０-９]', '•', 'g'),
  source_file = regexp_replace(
    regexp_replace(source_file, '[A-Za-z0-9+_-]{16,}={0,2}', '[encoded]', 'g'),
    '[0-9０-９]', '•', 'g'),
  sample = regexp_replace(
    regexp_replace(sample, '[A-Za-z0-9+_-]{16,}={0,2}', '[encoded]', 'g'),
    '[0-9０-９]', '•', 'g')
where concat_ws(' ', document_path, effective_directive, blocked_uri, source_file, sample)
  ~ '[0-9０-９]|[A-Za-z0-9+_-]{16,}';
