//! The sysfs check, shared by the `sysfs` fuzz target and the corpus replay test: a port name
//! and its attribute files (idVendor, idProduct, serial, speed) one per line.

pub fn check(data: &[u8]) {
    let kb = kb::Kb::embedded().expect("embedded kb");
    let text = String::from_utf8_lossy(data);
    let mut fields = text.splitn(5, '\n');
    let name = fields.next().unwrap_or("1-4").to_owned();
    let values: Vec<String> = fields.map(|f| f.trim().to_owned()).collect();
    let attribute = |a: &str| {
        let i = ["idVendor", "idProduct", "serial", "speed"]
            .iter()
            .position(|k| *k == a)?;
        values.get(i).filter(|v| !v.is_empty()).cloned()
    };
    if let Some(d) = usb::sysfs::device_from_attributes(&name, attribute) {
        let _ = d.finish(kb);
    }
}
