-- Up Migration
-- Document bytes and workbooks are sealed with AES-256-GCM in the application (stores/document-cipher.ts):
-- key_id names the DOCUMENT_KEYS entry that sealed the row; NULL is a row stored before encryption,
-- read as plaintext until `npx medextract keys rotate` seals it.
ALTER TABLE documents ADD COLUMN key_id text;
ALTER TABLE workbooks ADD COLUMN key_id text;
-- Ciphertext does not compress: store it out of line without trying (pglz would only spend CPU).
ALTER TABLE documents ALTER COLUMN content SET STORAGE EXTERNAL;
ALTER TABLE workbooks ALTER COLUMN content SET STORAGE EXTERNAL;

-- Down Migration
-- Dropping key_id would leave sealed rows unreadable: refuse while any exist.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM documents WHERE key_id IS NOT NULL) OR EXISTS (SELECT 1 FROM workbooks WHERE key_id IS NOT NULL) THEN
    RAISE EXCEPTION 'encrypted documents or workbooks exist: they would become unreadable without key_id';
  END IF;
END $$;
ALTER TABLE documents ALTER COLUMN content SET STORAGE EXTENDED;
ALTER TABLE workbooks ALTER COLUMN content SET STORAGE EXTENDED;
ALTER TABLE workbooks DROP COLUMN key_id;
ALTER TABLE documents DROP COLUMN key_id;
