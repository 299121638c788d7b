/**
 * Photos taken on the phone: shrunk in the browser before they travel (longest side
 * PHOTO_MAX_SIDE px, JPEG quality 0.8, the camera's EXIF orientation applied by createImageBitmap),
 * and kept in IndexedDB until the upload went through (README.md, "On a phone").
 */
export const PHOTO_MAX_SIDE = 1600;
export const PHOTO_QUALITY = 0.8;

export interface Shrunk {
  blob: Blob;
  width: number;
  height: number;
}

export async function shrinkPhoto(file: Blob, maxSide = PHOTO_MAX_SIDE, quality = PHOTO_QUALITY): Promise<Shrunk> {
  const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = Math.min(1, maxSide / Math.max(bmp.width, bmp.height));
  const width = Math.max(1, Math.round(bmp.width * scale));
  const height = Math.max(1, Math.round(bmp.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('canvas 2d is not available');
  g.drawImage(bmp, 0, 0, width, height);
  bmp.close();
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the photo could not be encoded'))), 'image/jpeg', quality),
  );
  return { blob, width, height };
}

const DB_NAME = 'fgw-photos';
const STORE = 'blobs';
let opening: Promise<IDBDatabase> | null = null;

function db(): Promise<IDBDatabase> {
  return (opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => {
      opening = null;
      reject(req.error ?? new Error('IndexedDB is not available'));
    };
  }));
}

async function run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const d = await db();
  return new Promise((resolve, reject) => {
    const req = fn(d.transaction(STORE, mode).objectStore(STORE));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

export const blobs = {
  put: (key: string, blob: Blob) => run('readwrite', (s) => s.put(blob, key)).then(() => undefined),
  get: (key: string) => run<Blob | undefined>('readonly', (s) => s.get(key) as IDBRequest<Blob | undefined>),
  delete: (key: string) => run('readwrite', (s) => s.delete(key)).then(() => undefined),
};
