//! Where and how to send notification emails, read from a Weft connection of conn-type
//! `smtp`.

use lettre::message::Mailbox;
use serde::Deserialize;

use crate::error::SettingsError;
use crate::secret::Secret;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text throughout (a relay on a trusted network only).
    None,
    /// Plain text upgraded with STARTTLS, which is required (default port 587).
    StartTls,
    /// TLS from the first byte, "SMTPS" (default port 465).
    Tls,
}

impl SmtpTls {
    /// The usual port for this mode: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Tls => 465,
        }
    }
}

/// An SMTP server to send notification emails through.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// The server's host name or IP address; TLS checks its certificate against this name.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// The login, if the server wants one.
    pub login: Option<String>,
    /// The password going with `login`.
    pub password: Option<Secret>,
    /// The sender, `addr@example.com` or `Name <addr@example.com>`.
    pub from: String,
    /// How the connection is protected.
    pub tls: SmtpTls,
}

/// `s` trimmed, or none when absent or blank.
fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
struct Extra {
    from: Option<String>,
    tls: Option<String>,
}

impl SmtpSettings {
    /// Reads settings from the parts of a Weft connection of conn-type `smtp`: its host,
    /// port, login, password, and `extra` JSON `{"from": "...", "tls": "starttls"|"tls"|"none"}`.
    ///
    /// `tls` defaults to `starttls`; the port defaults to the mode's usual one
    /// ([`SmtpTls::default_port`]); an empty `extra` reads as `{}`, so `from` is then
    /// missing. Other keys in `extra` are ignored. Empty strings count as absent.
    pub fn from_connection_parts(
        host: Option<&str>,
        port: Option<u16>,
        login: Option<&str>,
        password: Option<&str>,
        extra_json: &str,
    ) -> Result<SmtpSettings, SettingsError> {
        let host = present(host).ok_or(SettingsError::MissingHost)?;
        let extra: Extra = if extra_json.trim().is_empty() {
            Extra {
                from: None,
                tls: None,
            }
        } else {
            serde_json::from_str(extra_json).map_err(|source| SettingsError::BadExtra { source })?
        };
        let tls = match extra.tls.as_deref().map(str::trim) {
            None | Some("") => SmtpTls::StartTls,
            Some(value) => match value.to_ascii_lowercase().as_str() {
                "none" => SmtpTls::None,
                "starttls" => SmtpTls::StartTls,
                "tls" => SmtpTls::Tls,
                _ => {
                    return Err(SettingsError::BadTls {
                        value: value.to_owned(),
                    });
                }
            },
        };
        let from = present(extra.from.as_deref()).ok_or(SettingsError::MissingFrom)?;
        from.parse::<Mailbox>()
            .map_err(|source| SettingsError::BadFrom {
                value: from.to_owned(),
                source,
            })?;
        let login = present(login);
        let password = password.filter(|p| !p.is_empty());
        if login.is_none() && password.is_some() {
            return Err(SettingsError::PasswordWithoutLogin);
        }
        Ok(SmtpSettings {
            host: host.to_owned(),
            port: port.unwrap_or_else(|| tls.default_port()),
            login: login.map(str::to_owned),
            password: password.map(Secret::from),
            from: from.to_owned(),
            tls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(extra: &str) -> Result<SmtpSettings, SettingsError> {
        SmtpSettings::from_connection_parts(Some("smtp.example.com"), None, None, None, extra)
    }

    #[test]
    fn reads_a_full_connection() {
        let s = SmtpSettings::from_connection_parts(
            Some("smtp.example.com"),
            Some(2525),
            Some("weft"),
            Some("pw"),
            r#"{"from": "Weft <weft@example.com>", "tls": "TLS", "other": 1}"#,
        )
        .expect("settings");
        assert_eq!((s.host.as_str(), s.port), ("smtp.example.com", 2525));
        assert_eq!(s.login.as_deref(), Some("weft"));
        assert_eq!(s.password.as_ref().map(Secret::expose), Some("pw"));
        assert_eq!(s.from, "Weft <weft@example.com>");
        assert_eq!(s.tls, SmtpTls::Tls);
        assert!(!format!("{s:?}").contains("pw\""), "{s:?}");
    }

    #[test]
    fn defaults_to_starttls_on_587() {
        let s = parts(r#"{"from": "weft@example.com"}"#).expect("settings");
        assert_eq!((s.tls, s.port), (SmtpTls::StartTls, 587));
        let s = parts(r#"{"from": "weft@example.com", "tls": "none"}"#).expect("settings");
        assert_eq!((s.tls, s.port), (SmtpTls::None, 25));
    }

    #[test]
    fn errors_name_the_bad_field() {
        let missing_host = SmtpSettings::from_connection_parts(None, None, None, None, "{}");
        assert!(matches!(missing_host, Err(SettingsError::MissingHost)));
        let err = parts(r#"{"from": "weft@example.com", "tls": "ssl"}"#).expect_err("bad tls");
        assert!(matches!(&err, SettingsError::BadTls { value } if value == "ssl"));
        assert!(err.to_string().contains("extra.tls is \"ssl\""), "{err}");
        assert!(matches!(parts(""), Err(SettingsError::MissingFrom)));
        assert!(matches!(
            parts(r#"{"tls": "tls"}"#),
            Err(SettingsError::MissingFrom)
        ));
        let err = parts(r#"{"from": "not an address"}"#).expect_err("bad from");
        assert!(matches!(&err, SettingsError::BadFrom { value, .. } if value == "not an address"));
        assert!(std::error::Error::source(&err).is_some());
        assert!(matches!(parts("[1]"), Err(SettingsError::BadExtra { .. })));
        let no_login = SmtpSettings::from_connection_parts(
            Some("h"),
            None,
            None,
            Some("secret"),
            r#"{"from": "weft@example.com"}"#,
        );
        assert!(matches!(no_login, Err(SettingsError::PasswordWithoutLogin)));
    }
}
