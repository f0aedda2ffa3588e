// The browser's part of media questions, loaded the first time a form with one is opened
// (boot.js's __dalaMedia): a photo decoded by the browser and drawn smaller. The sizes are
// decided in Rust (crates/dala-web/src/media.rs); this file only calls what has no Rust API.

// A picked or captured photo as a decoded bitmap (its EXIF orientation applied).
export function decode(file) {
  return createImageBitmap(file, { imageOrientation: 'from-image' });
}

// The bitmap drawn at width x height, encoded as `type` (a JPEG at `quality`).
export async function encode(bitmap, width, height, type, quality) {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return canvas.convertToBlob({ type, quality });
}
