//! Parser one-liners: source -> S-expression, and the spans and codes of diagnostics.

use dala_expr::{Code, MAX_DEPTH, parse, print, sexp};
use std::time::Instant;

fn tree(src: &str) -> String {
    let parsed = parse(src);
    assert!(parsed.is_ok(), "{src}: {:?}", parsed.diagnostics);
    sexp(&parsed.expr)
}

fn codes(src: &str) -> Vec<&'static str> {
    parse(src)
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

#[test]
fn precedence_follows_xpath() {
    assert_eq!(tree("1 + 2 * 3"), "(+ 1.0 (* 2.0 3.0))");
    assert_eq!(tree("1 - 2 - 3"), "(- (- 1.0 2.0) 3.0)");
    assert_eq!(
        tree("a or b and c"),
        "(or (path . a) (and (path . b) (path . c)))"
    );
    assert_eq!(tree("1 = 2 < 3"), "(= 1.0 (< 2.0 3.0))");
    assert_eq!(tree("-1 * 2"), "(* (neg 1.0) 2.0)");
    assert_eq!(tree("-a | b"), "(neg (| (path . a) (path . b)))");
    assert_eq!(tree("6 div 2 mod 4"), "(mod (div 6.0 2.0) 4.0)");
}

#[test]
fn operator_names_are_names_where_no_operand_precedes() {
    assert_eq!(tree("div div div"), "(div (path . div) (path . div))");
    assert_eq!(tree("and"), "(path . and)");
    assert_eq!(tree("* * *"), "(* (path . *) (path . *))");
}

#[test]
fn references_calls_and_paths() {
    assert_eq!(tree("${age} >= 18"), "(>= $age 18.0)");
    assert_eq!(
        tree("selected(${roles}, 'officer')"),
        "(selected $roles \"officer\")"
    );
    assert_eq!(
        tree("jr:choice-name(${d}, '${d}')"),
        "(jr:choice-name $d \"${d}\")"
    );
    assert_eq!(tree("."), "(path . self::*)");
    assert_eq!(tree("../x"), "(path . parent::* x)");
    assert_eq!(tree("/data/age"), "(path / data age)");
    assert_eq!(tree("//item"), "(path / descendant-or-self::* item)");
    assert_eq!(tree("@id"), "(path . @id)");
    assert_eq!(
        tree("instance('l')/root/item[district = ${d}]/name"),
        "(path (instance \"l\") root item[(= (path . district) $d)] name)"
    );
    assert_eq!(tree("current()/../x"), "(path (current) parent::* x)");
}

#[test]
fn diagnostics_carry_spans() {
    let parsed = parse("1 + foo(2)");
    assert_eq!(parsed.diagnostics.len(), 1);
    let d = &parsed.diagnostics[0];
    assert_eq!(d.code, Code::UnknownFunction);
    assert_eq!((d.span.start, d.span.end), (4, 7));
    assert_eq!(
        d.problem,
        dala_expr::Problem::UnknownFunction { name: "foo".into() },
        "the name it is about, as data"
    );
    let rendered = dala_expr::caret_lines("1 + foo(2)", d.span);
    assert!(
        rendered.ends_with("\n  | 1 + foo(2)\n  |     ^^^"),
        "{rendered}"
    );

    let unclosed = parse("concat('a', 'b'");
    assert_eq!(unclosed.diagnostics[0].code, Code::Unclosed);
    assert_eq!(unclosed.diagnostics[0].span.start, 6);
}

#[test]
fn several_problems_are_reported_at_once() {
    assert_eq!(
        codes("foo(1) + bar(2) + selected(1)"),
        ["E005", "E005", "E006"]
    );
    // The lexer's findings come first, then the parser's.
    assert_eq!(codes("foo() + ${a b} + 'x"), ["E009", "E002", "E005"]);
}

#[test]
fn the_caret_counts_characters_not_bytes() {
    let src = "'Бишкек' + nope()";
    let d = &parse(src).diagnostics[0];
    let carets = dala_expr::caret_lines(src, d.span);
    assert!(carets.ends_with("\n  |            ^^^^"), "{carets}");
}

#[test]
fn ten_thousand_nested_parentheses_give_a_diagnostic_fast() {
    let src = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let started = Instant::now();
    let parsed = parse(&src);
    let took = started.elapsed();
    assert_eq!(codes(&src), ["E007"]);
    assert!(!parsed.is_ok());
    // Not a timing assertion on the machine's speed: a generous bound that only a
    // quadratic or exponential parser would miss (measured in milliseconds).
    assert!(took.as_secs() < 5, "took {took:?}");
}

#[test]
fn deep_nesting_of_every_kind_is_bounded() {
    for src in [
        "-".repeat(100_000) + "1",
        "not(".repeat(50_000) + "1" + &")".repeat(50_000),
        "a[".repeat(50_000),
        (0..100_000).map(|_| "1").collect::<Vec<_>>().join(" + "),
    ] {
        assert!(codes(&src).contains(&"E007"), "{}", &src[..20]);
    }
    // Just inside the bound is fine.
    let ok = format!(
        "{}1{}",
        "(".repeat(MAX_DEPTH as usize - 1),
        ")".repeat(MAX_DEPTH as usize - 1)
    );
    assert!(parse(&ok).is_ok());
    let sum = (0..200)
        .map(|i| format!("${{q{i}}}"))
        .collect::<Vec<_>>()
        .join(" + ");
    assert!(parse(&sum).is_ok(), "a sum of 200 scores must parse");
}

#[test]
fn print_gives_source_that_parses_back() {
    for src in [
        "1 + 2 * 3",
        "-(1 - -2)",
        "if(${a} > 1 or not(${b}), concat('x', \"it's\"), 0 div 0)",
        "instance('l')/root/item[x = 1][y != 'a']/name",
        "//a/b//c",
        "../x | /data/y",
        "jr:choice-name(${d}, '${d}')",
    ] {
        let first = parse(src);
        assert!(first.is_ok(), "{src}");
        let printed = print(&first.expr);
        let second = parse(&printed);
        assert!(
            second.is_ok(),
            "{src} printed as {printed}: {:?}",
            second.diagnostics
        );
        assert_eq!(
            sexp(&first.expr),
            sexp(&second.expr),
            "{src} printed as {printed}"
        );
    }
}

#[test]
fn fuzz_crash_printing_deep_unary_chains_stays_within_the_depth_bound() {
    // Found by the fuzzer: 140 nested unary minus signs parse, but printing every one with
    // its own parentheses doubled the nesting past the bound, so the print did not parse back.
    let src = format!("c - {}Z. - ----Z.", "-".repeat(140));
    let first = parse(&src);
    assert!(first.is_ok(), "{:?}", first.diagnostics);
    let printed = print(&first.expr);
    let second = parse(&printed);
    assert!(second.is_ok(), "{printed}: {:?}", second.diagnostics);
    assert_eq!(sexp(&first.expr), sexp(&second.expr));
    let chain = (0..250)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" - ");
    assert_eq!(
        print(&parse(&chain).expr),
        chain,
        "a left-deep chain prints without parentheses"
    );
}

#[test]
fn print_keeps_only_the_parentheses_precedence_needs() {
    for (src, printed) in [
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("(1 - 2) - 3", "1 - 2 - 3"),
        ("-(a | b)", "-a | b"),
        ("(-a) | b", "(-a) | b"),
        ("-(1 + 2) * 3", "-(1 + 2) * 3"),
        ("(1 or 2) and 3", "(1 or 2) and 3"),
        ("((((1))))", "1"),
    ] {
        assert_eq!(print(&parse(src).expr), printed, "{src}");
    }
}

#[test]
fn fuzz_crash_unions_of_negatives_print_without_extra_nesting() {
    // Found by the fuzzer: `2|-2|-2...` nests each `-` around the rest of the union chain;
    // bracketing every right-hand `-` doubled the depth.
    let found = "------2|-2|-2|---------22|-2|---------2|--------22|-2|---------2|-2|-2|-----------2|-2|-2|---------44|-2|---------2|-2|-2|---------nu|-2|-2|--ff----nu|-2|_-2|--2|-2|-----------2|-2|-2|---------44|-2|---------2|-2|-2|---------nu|-2|-2|--ff----nu|-2|_-2|--ff";
    assert_eq!(
        sexp(&parse(&print(&parse(found).expr)).expr),
        sexp(&parse(found).expr)
    );
    let src = (0..60).map(|_| "-2").collect::<Vec<_>>().join("|");
    let first = parse(&src);
    assert!(first.is_ok(), "{:?}", first.diagnostics);
    let printed = print(&first.expr);
    assert!(!printed.contains('('), "{printed}");
    assert_eq!(sexp(&parse(&printed).expr), sexp(&first.expr));
    for (src, printed) in [
        ("(a | -b) | c", "a | (-b) | c"),
        ("a | -b", "a | -b"),
        ("a * -b", "a * -b"),
    ] {
        let tree = parse(src);
        assert_eq!(print(&tree.expr), printed, "{src}");
        assert_eq!(sexp(&parse(printed).expr), sexp(&tree.expr), "{src}");
    }
}

#[test]
fn reference_spans_are_found_by_the_lexer() {
    let spans = |src: &str| -> Vec<(u32, u32, String)> {
        dala_expr::reference_spans(src)
            .into_iter()
            .map(|(s, n)| (s.start, s.end, n.to_string()))
            .collect()
    };
    assert_eq!(
        spans("${a} + ${ bc }"),
        [(0, 4, "a".into()), (7, 14, "bc".into())]
    );
    // Inside a string literal it is text; an expression that does not parse still has them.
    assert_eq!(spans("concat('${a}', ${b})"), [(15, 19, "b".into())]);
    assert_eq!(spans("${a} = = ("), [(0, 4, "a".into())]);
    // An unterminated reference is none.
    assert_eq!(spans("1 + ${a"), []);
}

/// pyxform's rule for a dynamic default (its `default_is_dynamic`): the cases of its
/// test_dynamic_default.py (TestDynamicDefaultSimpleInput), with their types, are the oracle.
#[test]
fn a_default_is_an_expression_by_pyxforms_rule() {
    use dala_expr::is_dynamic_default;
    let date_like = |t: &str| {
        matches!(
            t,
            "date" | "dateTime" | "geopoint" | "geotrace" | "geoshape"
        )
    };
    let fixed = [
        ("integer", "foo"),
        ("integer", "123"),
        ("text", "bar123"),
        ("text", "https://my-site.com"),
        ("text", "(https://mysite.com)"),
        ("text", "go to https://mysite.com"),
        ("text", "Repeat after me: '~!@#$%^&()_"),
        ("text", "not_func$"),
        ("text", "f-g"),
        ("text", "f-4"),
        ("text", "./f-4"),
        ("integer", "f-g"),
        ("integer", "f-4"),
        ("date", "2022-03-14"),
        ("date", "-2022-03-14"),
        ("time", "01:02:55"),
        ("time", "01:02:55Z"),
        ("time", "01:02:55+00:00"),
        ("time", "01:02:55+10:00"),
        ("time", "01:02:55-07:00"),
        ("date", "2022-03-14T01:02:55"),
        ("dateTime", "2022-03-14T01:02:55Z"),
        ("dateTime", "2022-03-14T01:02:55+10:00"),
        ("dateTime", "2022-03-14T01:02:55-07:00"),
        ("geopoint", "32.7377112 -117.1288399 14 5.01"),
        // A choice name with a hyphen (test_dynamic_default_select_choice_name_with_hyphen).
        ("select_one", "1-1"),
        ("select_one", "a-2"),
    ];
    for (t, text) in fixed {
        assert!(!is_dynamic_default(text, date_like(t)), "{t} {text}");
    }
    let dynamic = [
        ("integer", "random()"),
        ("text", "ends-with('mystr', \"str\")"),
        ("text", "ends-with(../t2, ./t4)"),
        ("text", "jr:itext('/test/ref_text:label')"),
        ("text", "if(../t2 = 'test', 1, 2) + 15 - int(1.2)"),
        ("text", "1 + decimal-date-time(now())"),
        (
            "text",
            "concat(if(../t1 = \"this\", 'go', \"to\"), \"https://mysite.com\")",
        ),
        ("integer", "7 - 4"),
        ("text", "3 mod 3"),
        ("text", "5 div 5"),
        ("text", "2 + 3 * 4"),
        ("text", "5 div 5 - 5"),
        ("integer", "random() + 2 * 5"),
        ("text", "./f - 4"),
        ("text", "../t2 - ./t4"),
        ("text", "1 + 2 - 3 * 4 div 5 mod 6"),
        ("date", "concat('2022-03', '-14')"),
        ("text", "${ref_text}"),
        ("text", "../t2 | ./t4"),
    ];
    for (t, text) in dynamic {
        assert!(is_dynamic_default(text, date_like(t)), "{t} {text}");
    }
}
