//! The functions of the language: names and arities, checked at parse time.

/// How many arguments a function takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    Exactly(u8),
    Range(u8, u8),
    AtLeast(u8),
    /// `min, max` then value/weight pairs.
    WeightedPairs,
    /// `indexed-repeat(name, repeat, index [, repeat, index]...)`: 3, 5 or 7.
    IndexedRepeat,
}

impl Arity {
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Exactly(k) => n == k as usize,
            Arity::Range(lo, hi) => (lo as usize..=hi as usize).contains(&n),
            Arity::AtLeast(lo) => n >= lo as usize,
            Arity::WeightedPairs => n >= 2 && n.is_multiple_of(2),
            Arity::IndexedRepeat => matches!(n, 3 | 5 | 7),
        }
    }
}

macro_rules! functions {
    ($($variant:ident $name:literal $arity:expr;)*) => {
        /// A known function. Unknown names are a parse diagnostic (E005), so the tree holds only these.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Function { $($variant),* }

        impl Function {
            /// Every function, for documentation and tests.
            pub const ALL: &'static [Function] = &[$(Function::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Function::$variant => $name),* }
            }

            pub fn arity(self) -> Arity {
                use Arity::*;
                match self { $(Function::$variant => $arity),* }
            }

            /// Looks a name up as written in a form. A `jr:` prefix is accepted on every function,
            /// as JavaRosa does; `jr:choice-name` needs it.
            pub fn lookup(name: &str) -> Option<Function> {
                match name {
                    $($name => Some(Function::$variant),)*
                    _ => name.strip_prefix("jr:").and_then(Function::lookup),
                }
            }
        }
    };
}

functions! {
    If "if" Exactly(3);
    Selected "selected" Exactly(2);
    SelectedAt "selected-at" Exactly(2);
    CountSelected "count-selected" Exactly(1);
    ChoiceName "jr:choice-name" Exactly(2);
    Not "not" Exactly(1);
    True "true" Exactly(0);
    False "false" Exactly(0);
    Boolean "boolean" Exactly(1);
    BooleanFromString "boolean-from-string" Exactly(1);
    Number "number" Range(0, 1);
    String "string" Range(0, 1);
    Int "int" Exactly(1);
    Round "round" Range(1, 2);
    Floor "floor" Exactly(1);
    Ceiling "ceiling" Exactly(1);
    Abs "abs" Exactly(1);
    Pow "pow" Exactly(2);
    Sqrt "sqrt" Exactly(1);
    Exp "exp" Exactly(1);
    Exp10 "exp10" Exactly(1);
    Log "log" Exactly(1);
    Log10 "log10" Exactly(1);
    Pi "pi" Exactly(0);
    Sin "sin" Exactly(1);
    Cos "cos" Exactly(1);
    Tan "tan" Exactly(1);
    Asin "asin" Exactly(1);
    Acos "acos" Exactly(1);
    Atan "atan" Exactly(1);
    Atan2 "atan2" Exactly(2);
    Min "min" AtLeast(1);
    Max "max" AtLeast(1);
    Sum "sum" Exactly(1);
    Count "count" Exactly(1);
    CountNonEmpty "count-non-empty" Exactly(1);
    Concat "concat" AtLeast(0);
    Join "join" AtLeast(1);
    Substr "substr" Range(2, 3);
    Substring "substring" Range(2, 3);
    SubstringBefore "substring-before" Exactly(2);
    SubstringAfter "substring-after" Exactly(2);
    Contains "contains" Exactly(2);
    StartsWith "starts-with" Exactly(2);
    EndsWith "ends-with" Exactly(2);
    StringLength "string-length" Range(0, 1);
    NormalizeSpace "normalize-space" Range(0, 1);
    Translate "translate" Exactly(3);
    Regex "regex" Exactly(2);
    Coalesce "coalesce" Exactly(2);
    Today "today" Exactly(0);
    Now "now" Exactly(0);
    Date "date" Exactly(1);
    DateTime "date-time" Exactly(1);
    DecimalDateTime "decimal-date-time" Exactly(1);
    DecimalTime "decimal-time" Exactly(1);
    FormatDate "format-date" Exactly(2);
    FormatDateTime "format-date-time" Exactly(2);
    Position "position" Range(0, 1);
    IndexedRepeat "indexed-repeat" IndexedRepeat;
    Once "once" Exactly(1);
    Uuid "uuid" Range(0, 1);
    Random "random" Exactly(0);
    Checklist "checklist" AtLeast(2);
    WeightedChecklist "weighted-checklist" WeightedPairs;
    Digest "digest" Range(2, 3);
    Distance "distance" AtLeast(1);
    Area "area" Exactly(1);
    Current "current" Exactly(0);
    Instance "instance" Exactly(1);
    Pulldata "pulldata" Exactly(4);
}
