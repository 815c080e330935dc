"""``plugdot check-templates``: which templates a board can run (CPython
only). Compiles every template of the given folders with the subset
compiler and reports each refusal with ``file:line`` and the construct."""
import sys


def add_command(subparsers):
    """The ``check-templates`` subcommand."""
    p = subparsers.add_parser('check-templates',
                              help='check templates against the subset compiled for MicroPython')
    p.add_argument('folders', nargs='*', default=['templates'],
                   help='template folders (default: templates)')
    p.add_argument('--show', metavar='NAME', help='print the Python compiled from template NAME')
    p.set_defaults(func=run)


def run(args):
    """Check (or show) the templates; exit status 1 if any is refused."""
    from .bundle import compile_file, find_templates
    from .response import TemplateError
    found = find_templates(args.folders)
    if args.show:
        if args.show not in found:
            print('no template %r in %s' % (args.show, ', '.join(args.folders)), file=sys.stderr)
            return 1
        print(compile_file(args.show, found[args.show]))
        return 0
    refused = 0
    for name, path in sorted(found.items()):
        try:
            compile_file(name, path)
        except TemplateError as exc:
            refused += 1
            print('refused %s' % exc)
        else:
            print('ok      %s' % name)
    print('%d templates, %d refused' % (len(found), refused))
    return 1 if refused or not found else 0
