"""A stand-in status-notifier host for the tests, and a reader of the app's tray item.

  tray.py watch        registers org.kde.StatusNotifierWatcher's methods on a running
                       python3-dbusmock server of that name, so that apps show tray icons
  tray.py label PATH   prints the XAyatanaLabel of the item at PATH, from whichever bus
                       client serves it (the app), or exits 1 when none does
"""
import sys

import dbus

bus = dbus.SessionBus()

if sys.argv[1] == "watch":
    watcher = bus.get_object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
    mock = dbus.Interface(watcher, "org.freedesktop.DBus.Mock")
    mock.AddMethod("org.kde.StatusNotifierWatcher", "RegisterStatusNotifierItem", "s", "", "")
    mock.AddMethod("org.kde.StatusNotifierWatcher", "RegisterStatusNotifierHost", "s", "", "")
    mock.AddProperties(
        "org.kde.StatusNotifierWatcher",
        {
            "IsStatusNotifierHostRegistered": True,
            "ProtocolVersion": dbus.Int32(0),
            "RegisteredStatusNotifierItems": dbus.Array([], signature="s"),
        },
    )
elif sys.argv[1] == "label":
    daemon = dbus.Interface(bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"), "org.freedesktop.DBus")
    for name in daemon.ListNames():
        if not name.startswith(":"):
            continue
        try:
            item = bus.get_object(name, sys.argv[2], introspect=False)
            label = item.Get("org.kde.StatusNotifierItem", "XAyatanaLabel", dbus_interface="org.freedesktop.DBus.Properties", timeout=2)
        except dbus.exceptions.DBusException:
            continue
        print(label)
        sys.exit(0)
    sys.exit(1)
