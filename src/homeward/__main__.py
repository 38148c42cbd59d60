from homeward.cli import main

raise SystemExit(main())
