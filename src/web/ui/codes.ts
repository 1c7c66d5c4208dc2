import QRCode from 'qrcode';

// Codes drawn in the browser: QR with the `qrcode` library (the same one the server uses),
// as an SVG data URL an <img> shows under `img-src 'self' data:`. The page's CSP allows no
// inline markup, so the SVG is never put into the DOM as HTML.

export async function qrDataUrl(text: string, margin = 2): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
