//! The preset experiments, read from `public/configs/` (the same files the CLI runs).

/// A preset: its file name and its text.
pub struct Preset {
    /// File name under `public/configs/`.
    pub file: &'static str,
    /// What a person sees in the picker.
    pub label: &'static str,
    /// The config text (TOML, MMEngine key names).
    pub text: &'static str,
    /// The tables it reads, by the path it gives them (relative to the config file,
    /// as the CLI reads them).
    pub files: &'static [(&'static str, &'static str)],
    /// Files it reads that are fetched from the site when the config names them
    /// (too big to compile into the app): `(path in the config, URL)`.
    pub fetched: &'static [(&'static str, &'static str)],
}

/// Every preset, the default first.
pub const PRESETS: &[Preset] = &[
    Preset {
        file: "spiral_mlp.toml",
        label: "Spiral · MLP",
        text: include_str!("../../public/configs/spiral_mlp.toml"),
        files: &[],
        fetched: &[],
    },
    Preset {
        file: "csv_example.toml",
        label: "Your table: fruit.csv · 3 classes",
        text: include_str!("../../public/configs/csv_example.toml"),
        files: &[(
            "../data/csv/fruit.csv",
            include_str!("../../public/data/csv/fruit.csv"),
        )],
        fetched: &[],
    },
    Preset {
        file: "csv_regression.toml",
        label: "Regression: housing.csv",
        text: include_str!("../../public/configs/csv_regression.toml"),
        files: &[(
            "../data/csv/housing.csv",
            include_str!("../../public/data/csv/housing.csv"),
        )],
        fetched: &[],
    },
    Preset {
        file: "features_linear.toml",
        label: "Circle · linear model on x1², x2²",
        text: include_str!("../../public/configs/features_linear.toml"),
        files: &[],
        fetched: &[],
    },
    Preset {
        file: "digits_cnn.toml",
        label: "Digits 8×8 · CNN",
        text: include_str!("../../public/configs/digits_cnn.toml"),
        files: &[],
        fetched: &[],
    },
    Preset {
        file: "gan_2d.toml",
        label: "2-D GAN · two optimizers",
        text: include_str!("../../public/configs/gan_2d.toml"),
        files: &[],
        fetched: &[],
    },
    Preset {
        file: "sort_gpt.toml",
        label: "Sorting digits · tiny GPT",
        text: include_str!("../../public/configs/sort_gpt.toml"),
        files: &[],
        fetched: &[],
    },
    Preset {
        file: "grokking_gpt.toml",
        label: "Grokking: a + b mod 97 · tiny GPT (long)",
        text: include_str!("../../public/configs/grokking_gpt.toml"),
        files: &[],
        fetched: &[],
    },
    Preset {
        file: "text_gpt.toml",
        label: "Text · tiny GPT (characters)",
        text: include_str!("../../public/configs/text_gpt.toml"),
        files: &[],
        fetched: &[(TEXT_PATH, TEXT_URL)],
    },
    Preset {
        file: "text_gru.toml",
        label: "Text · GRU (characters)",
        text: include_str!("../../public/configs/text_gru.toml"),
        files: &[],
        fetched: &[(TEXT_PATH, TEXT_URL)],
    },
];

/// The shipped text, by the path the text presets give it, and where the site
/// serves it.
const TEXT_PATH: &str = "../data/text/alice.txt";
const TEXT_URL: &str = "data/text/alice.txt";
