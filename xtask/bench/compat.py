# Python half of `cargo xtask compat` (tooling, not app code): pyxform, the reference XLSForm
# converter, as the oracle. Converts every workbook given, and every markdown form found in
# pyxform's own test suite (read with `ast`, without running the tests), writes the markdown
# forms into OUT so Dala reads the very same text, and prints one JSON verdict per form.
# With DALA_XFORMS=DIR, the XForm of each form pyxform converts is written to DIR/FORM.xml
# (for `cargo xtask difftest`).
#   python3 compat.py SITE_PACKAGES OUT PYXFORM_TESTS_DIR FILE...
import ast, json, os, sys
sys.path.insert(0, sys.argv[1])
from pyxform.xls2xform import convert

out_dir, tests_dir, files = sys.argv[2], sys.argv[3], sys.argv[4:]
os.makedirs(out_dir, exist_ok=True)
xforms = os.environ.get("DALA_XFORMS")
if xforms:
    os.makedirs(xforms, exist_ok=True)

def verdict(source, form=None, **kw):
    try:
        result = convert(xlsform=source, warnings=[], **kw)
        if xforms and form:
            with open(os.path.join(xforms, form + ".xml"), "w", encoding="utf-8") as f:
                f.write(result.xform)
        return "ok", ""
    except Exception as e:  # pyxform refuses with PyXFormError; anything else is a refusal too
        return "error", (type(e).__name__ + ": " + str(e)).splitlines()[0][:200]

results = []
base_names = [os.path.basename(p) for p in files]
for path in files:
    # A file is named by its own name, or with its folder's when several share one
    # (every seed survey is an instrument.xlsx).
    form = os.path.basename(path)
    if base_names.count(form) > 1:
        form = os.path.basename(os.path.dirname(path)) + "-" + form
    v, why = verdict(path, form)
    results.append({"form": form, "path": path, "pyxform": v, "why": why})

def strings(scope):
    """Names bound to a plain string in a module or function: `md = \"\"\"...\"\"\"`."""
    out = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.value.value
    return out

def md_forms(tree):
    """(test function, markdown, form name) of every call with an `md=` argument that is a
    plain string, or a name bound to one (forms built with .format() are left out). The form
    name is the call's `name=`, else pyxform's test case's default, `test_name`: the root
    its absolute paths (`/test_name/q1`) are written for."""
    module = strings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            local = {**module, **strings(node)}
            for call in ast.walk(node):
                if not isinstance(call, ast.Call):
                    continue
                name = "test_name"
                for kw in call.keywords:
                    if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        name = kw.value.value
                for kw in call.keywords:
                    if kw.arg != "md":
                        continue
                    if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                        yield node.name, kw.value.value, name
                    elif isinstance(kw.value, ast.Name) and kw.value.id in local:
                        yield node.name, local[kw.value.id], name

if os.path.isdir(tests_dir):
    n = 0
    for root, _, names in sorted(os.walk(tests_dir)):
        for name in sorted(names):
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            try:
                tree = ast.parse(open(path, encoding="utf-8").read())
            except SyntaxError:
                continue
            seen = set()
            for function, md, form_name in md_forms(tree):
                if (function, md) in seen or "{" in md and "}" in md and "${" not in md:
                    continue
                seen.add((function, md))
                n += 1
                form = f"{os.path.splitext(name)[0]}.{function}.{n}.md"
                target = os.path.join(out_dir, form)
                with open(target, "w", encoding="utf-8") as f:
                    f.write(md)
                v, why = verdict(md, form, file_type=".md", form_name=form_name)
                results.append({"form": form, "path": target, "pyxform": v, "why": why})
print(json.dumps(results))
