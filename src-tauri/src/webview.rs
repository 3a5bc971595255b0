//! The page's engine, set for a window that stays open all day on one page of its own: no
//! memory caches kept for pages and resources visited before (there are none to go back
//! to, and the page's few files are its own), so that what the page holds is what it uses.

/// WebKitGTK's "document viewer" cache model (the smallest: no memory cache of resources
/// or of pages left) and no back-forward page cache. Elsewhere the platform's defaults.
pub fn keep_memory_low<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    let set = window.with_webview(|webview| {
        use webkit2gtk::{CacheModel, SettingsExt, WebContextExt, WebViewExt};
        let view = webview.inner();
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_page_cache(false);
        }
    });
    #[cfg(not(target_os = "linux"))]
    let set: tauri::Result<()> = Ok(());
    if let Err(e) = set {
        tracing::info!(error = %e, "the page's memory caches keep their defaults");
    }
}
