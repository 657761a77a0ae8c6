//! The preset experiments, read from `public/configs/` (the same files the CLI runs).

/// A preset: its file name and its text.
pub struct Preset {
    /// File name under `public/configs/`.
    pub file: &'static str,
    /// What a person sees in the picker.
    pub label: &'static str,
    /// The config text (TOML, MMEngine key names).
    pub text: &'static str,
}

/// Every preset, the default first.
pub const PRESETS: &[Preset] = &[
    Preset {
        file: "spiral_mlp.toml",
        label: "Spiral · MLP",
        text: include_str!("../../public/configs/spiral_mlp.toml"),
    },
    Preset {
        file: "digits_cnn.toml",
        label: "Digits 8×8 · CNN",
        text: include_str!("../../public/configs/digits_cnn.toml"),
    },
    Preset {
        file: "gan_2d.toml",
        label: "2-D GAN · two optimizers",
        text: include_str!("../../public/configs/gan_2d.toml"),
    },
];
