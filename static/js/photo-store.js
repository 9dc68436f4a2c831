// This tab's own copies of the pictures it uploaded, so that result pages can draw them with
// their face boxes although the server does not keep them. The copies live in IndexedDB under
// a key made of a per-tab id (sessionStorage, which each tab has for itself) and the analysis
// id; they are never sent anywhere, are dropped after a day, and all of them go at log out.
(() => {
  "use strict";
  const DB_NAME = "moodlens-photos";
  const STORE = "photos";
  const MAX_AGE_MS = 24 * 3600 * 1000;

  function tabId() {
    try {
      let id = sessionStorage.getItem("moodlens-tab");
      if (!id) {
        id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
        sessionStorage.setItem("moodlens-tab", id);
      }
      return id;
    } catch (error) {
      return null; // storage refused (private mode, policies): no copies
    }
  }

  function open() {
    return new Promise((resolve, reject) => {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function done(transaction) {
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  async function put(analysisId, blob) {
    const tab = tabId();
    if (!tab) return;
    const db = await open();
    try {
      const transaction = db.transaction(STORE, "readwrite");
      const store = transaction.objectStore(STORE);
      const cursorRequest = store.openCursor();
      cursorRequest.onsuccess = () => {
        const cursor = cursorRequest.result;
        if (!cursor) return;
        if (!cursor.value || Date.now() - cursor.value.saved > MAX_AGE_MS) cursor.delete();
        cursor.continue();
      };
      store.put({ blob, saved: Date.now() }, `${tab}:${analysisId}`);
      await done(transaction);
    } finally {
      db.close();
    }
  }

  async function get(analysisId) {
    const tab = tabId();
    if (!tab) return null;
    const db = await open();
    try {
      const transaction = db.transaction(STORE, "readonly");
      const request = transaction.objectStore(STORE).get(`${tab}:${analysisId}`);
      await done(transaction);
      const entry = request.result;
      return entry && Date.now() - entry.saved <= MAX_AGE_MS ? entry.blob : null;
    } finally {
      db.close();
    }
  }

  function clear() {
    try {
      if (window.indexedDB) indexedDB.deleteDatabase(DB_NAME);
    } catch (error) { /* nothing kept */ }
  }

  window.MoodlensPhotos = { put, get, clear };
})();
