//! TLS for a receiver that listens beyond loopback: PEM files, or a generated self-signed pair.

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use crate::{ReceiverError, TlsSettings};

pub(crate) fn server_config(settings: &TlsSettings) -> Result<Arc<ServerConfig>, ReceiverError> {
    let (certs, key) = match settings {
        TlsSettings::Pem { cert, key } => (read_certs(cert)?, read_key(key)?),
        TlsSettings::SelfSigned { hostnames, cert_out } => self_signed(hostnames, cert_out.as_deref())?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ReceiverError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ReceiverError::Tls(format!("the certificate and key do not fit together: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ReceiverError> {
    let file = std::fs::File::open(path).map_err(|e| ReceiverError::Tls(format!("{}: {e}", path.display())))?;
    let certs = rustls_pemfile::certs(&mut BufReader::new(file))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ReceiverError::Tls(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(ReceiverError::Tls(format!("{}: no PEM certificate in it", path.display())));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, ReceiverError> {
    let file = std::fs::File::open(path).map_err(|e| ReceiverError::Tls(format!("{}: {e}", path.display())))?;
    rustls_pemfile::private_key(&mut BufReader::new(file))
        .map_err(|e| ReceiverError::Tls(format!("{}: {e}", path.display())))?
        .ok_or_else(|| ReceiverError::Tls(format!("{}: no PEM private key in it", path.display())))
}

fn self_signed(
    hostnames: &[String],
    cert_out: Option<&Path>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), ReceiverError> {
    let mut names = hostnames.to_vec();
    if names.is_empty() {
        names = vec!["localhost".into(), "127.0.0.1".into()];
    }
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| ReceiverError::Tls(e.to_string()))?;
    if let Some(out) = cert_out {
        std::fs::write(out, certified.cert.pem())
            .map_err(|e| ReceiverError::Tls(format!("cannot write the certificate to {}: {e}", out.display())))?;
    }
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())
        .map_err(|e| ReceiverError::Tls(e.to_string()))?;
    Ok((vec![certified.cert.der().clone()], key))
}
